package plugin

import "fmt"

// State is a Nagios service state. The numeric value is the exit code.
type State int

// The four plugin states, valued as their exit codes.
const (
	OK       State = 0
	Warning  State = 1
	Critical State = 2
	Unknown  State = 3
)

// String returns the label used on the first line of plugin output.
func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	case Unknown:
		return "UNKNOWN"
	}
	return fmt.Sprintf("STATE(%d)", int(s))
}

// severity orders states for "worst wins": a verified outage (CRITICAL) beats
// "could not verify" (UNKNOWN), which beats a mere WARNING.
func (s State) severity() int {
	switch s {
	case OK:
		return 0
	case Warning:
		return 1
	case Unknown:
		return 2
	case Critical:
		return 3
	}
	return 2
}

// Worst returns the more severe of two states (CRITICAL > UNKNOWN > WARNING > OK).
func Worst(a, b State) State {
	if b.severity() > a.severity() {
		return b
	}
	return a
}

// ParseState maps the words used by flags such as --drift=warning to a State.
func ParseState(word string) (State, error) {
	switch word {
	case "ok", "OK", "ignore":
		return OK, nil
	case "warning", "WARNING", "warn":
		return Warning, nil
	case "critical", "CRITICAL", "crit":
		return Critical, nil
	case "unknown", "UNKNOWN":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("%q is not a state (want ok, warning or critical)", word)
}
