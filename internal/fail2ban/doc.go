// Package fail2ban answers one question for check_fail2ban_trusted: is a
// trusted IP banned by a jail, and is it covered by the jail's effective
// ignoreip so that it stays unbanned?
//
// The check is a pipeline, one concern per file:
//
//   - gather: socket.go + pickle.go speak fail2ban's control-socket protocol
//     natively (pickled request list, "<F2B_END_COMMAND>" terminator, pickled
//     (code, value) reply) so that a check costs one connection instead of
//     one Python process per call; client.go runs fail2ban-client instead,
//     for hosts that only allow a sudo rule for it. Both return the same
//     JailState values (model.go).
//   - judge: ignoreip.go reproduces fail2ban's ignoreip semantics (single
//     addresses, CIDR, DNS names, IPv4-mapped IPv6) with net/netip, and says
//     when an entry cannot be judged from outside (ignorecommand, file: sets).
//   - evaluate.go is pure: facts + config -> plugin.Result.
//   - check.go wires them: pick jails, resolve names, gather, evaluate.
package fail2ban
