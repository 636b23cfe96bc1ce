// Package expat answers: what does firewalld's XML parser make of a config
// file's bytes? firewalld reads every zone, service, ipset, policy, helper
// and icmptype file with Python's xml.sax on libexpat; Parse reads them the
// same way, so the readers in package fwconfig see the elements firewalld
// sees and refuse the files expat refuses.
//
//   - xmlread.go: Parse, the size bound (MaxFileBytes), well-formedness,
//     prefixed names kept as one tag.
//   - xmlread_charset.go: BOM, UTF-16 and the single-byte encodings an XML
//     declaration may name.
//   - xmlread_dtd.go: the DOCTYPE's internal subset (general and parameter
//     entities, attribute defaults); nothing external is read.
//   - xmlread_entity.go: entity expansion as expat does it, in content and
//     in attribute values.
//   - xmlread_amplify.go: expat's amplification accounting, which refuses
//     an entity bomb ("billion laughs", references that expand to nothing)
//     in well under a second, as firewalld's reload does.
//   - xmlread_attr.go: attribute values, ATTLIST defaults, character
//     references.
//
// It knows nothing of firewalld's elements: that is package fwconfig.
package expat
