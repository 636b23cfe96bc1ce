package expat

import "errors"

// Expat's protection against entity bombs ("billion laughs"), which
// firewalld's readers run on through pyexpat (libexpat ≥ 2.4; Debian 12
// ships 2.5, Debian 13 2.7): xmlparse.c's accountingDiffTolerated counts
// every byte it tokenizes, the document's own (countBytesDirect, as far as
// it has read) and the replacement text of an entity each time it is
// expanded, at any depth (countBytesIndirect). A reference to an entity
// that expands to nothing still costs its "&name;" in the text around it,
// so ten levels of ten such references are ten billion bytes of work for
// no output. Once both counts together reach the activation threshold and
// are more than the maximum factor times the direct bytes, the parse fails
// with "limit on input amplification factor (from DTD and entities)
// breached" (XML_ERROR_AMPLIFICATION_LIMIT_BREACH), and firewalld refuses
// the file. The defaults (internal.h), which pyexpat leaves as they are:
const (
	expatMaxAmplification = 100.0   // EXPAT_BILLION_LAUGHS_ATTACK_PROTECTION_MAXIMUM_AMPLIFICATION_DEFAULT
	expatActivationBytes  = 8 << 20 // EXPAT_BILLION_LAUGHS_ATTACK_PROTECTION_ACTIVATION_THRESHOLD_DEFAULT
)

var errAmplification = errors.New("limit on input amplification factor (from DTD and entities) breached: expat stops entity expansion at 100 times the document's size past 8 MiB")

// amplification is expat's accounting for one document. It charges an
// expansion's whole replacement text when the expansion starts (expat
// charges it token by token): the verdict differs only for a document
// within one entity's length of the limit.
type amplification struct {
	direct, indirect int64
	rawPerText       float64 // the file's bytes per byte of decoded text
}

// readTo records that expat has read the document up to textPos (a byte
// position in the decoded text): everything before a reference is read
// before the reference is expanded.
func (a *amplification) readTo(textPos int) {
	if d := int64(float64(textPos) * a.rawPerText); d > a.direct {
		a.direct = d
	}
}

// expand charges one expansion of an entity whose replacement text is n
// bytes long.
func (a *amplification) expand(n int) error {
	a.indirect += int64(n)
	total := a.direct + a.indirect
	if total < expatActivationBytes {
		return nil
	}
	factor := 1.0
	if a.direct > 0 {
		factor = float64(total) / float64(a.direct)
	}
	if factor <= expatMaxAmplification {
		return nil
	}
	return errAmplification
}
