// Package fwconfig answers: what will firewalld load from its permanent
// config at the next reload or restart? It is the only reader of the
// permanent tree (zones, services, ipsets, policies, helpers, icmptypes,
// the lockdown whitelist, firewalld.conf), a port of firewalld's core/io
// readers: what a file keeps, what firewalld skips with a log line, and
// what makes it refuse the file (and with it the reload).
//
//   - version.go: the release whose rules apply (1.3: a bad rich rule is
//     skipped; 2.x: it refuses the file); an unknown release is judged by
//     both, and ValidateAsVersionArrives starts before the version is known.
//   - validate.go: LoadPermanent, the Tree of what loaded, ConfigProblem;
//     validate_input.go: the files sorted by kind and parsed up front;
//     validate_reader.go, validate_zone*.go, validate_objects.go,
//     validate_ipset.go, validate_policy.go, validate_lockdown.go: the
//     per-kind readers; validate_rich*.go: rich rules as firewalld parses,
//     checks and prints them; validate_cross.go: checks across files.
//   - validate_conf.go: firewalld.conf (DefaultZone and its fallback,
//     FlushAllOnReload, the keys each release knows).
//   - validate_funcs.go, portnames.go: /etc/services and /etc/protocols
//     lookups as firewalld does them (the files are read by package netdb).
//   - permanent.go, servicedefs.go: the kept tree as a ruleset.Ruleset, and
//     the service definitions a requirement is judged with.
//
// XML is read by package expat, as firewalld's expat reads it.
package fwconfig
