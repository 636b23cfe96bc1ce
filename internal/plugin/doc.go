// Package plugin is the render stage of every check in this suite and the only
// package that knows go-nagios and kong.
//
// A check is a kong CLI struct that embeds CommonFlags and implements Checker.
// Main parses the command line (a parse error is UNKNOWN, never kong's exit 80),
// runs the check under the -t deadline, turns its Result into the Monitoring
// Plugins output format (first line, long output, perfdata), sanitises every
// string that may have come from a server, and exits 0/1/2/3.
package plugin
