// Package firewalld answers: are the mail ports open in firewalld now, and
// will they still be open after the next `firewall-cmd --reload`?
//
// Gather: the runtime view of a zone comes from firewalld over D-Bus
// (dbus.go) or from one `firewall-cmd --list-all` call (cli.go); the
// permanent view from the XML files under /etc/firewalld over
// /usr/lib/firewalld (xml.go). Both become a View (model.go).
//
// Evaluate: requirements (services and ports that must be open) are judged in
// both views (coverage.go), and the two views are diffed for other drift
// (drift.go); evaluate.go turns that into a plugin.Result with the exact
// firewall-cmd fix on every finding. check.go wires the stages.
package firewalld
