package ruleset

import (
	"fmt"
	"strings"
)

// DefaultServices are the ports a mail host needs open: SMTP in, submission,
// IMAP, and the web server for webmail and ACME.
var DefaultServices = []string{"smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"}

// aliases are service names that mean the same ports: newer firewalld calls
// port 587 "submission" and keeps "smtp-submission" as an include of it.
var aliases = map[string][]string{
	"smtp-submission": {"smtp-submission", "submission"},
	"submission":      {"submission", "smtp-submission"},
}

// Requirement is something that must be open: a service (by name, with its
// ports as defined) or a bare port.
type Requirement struct {
	Name    string // "imaps" or "4190/tcp"
	Service string // the service name to use in fix commands; "" for a port
	Ports   []Port
}

// IsPort reports whether the requirement came from --port.
func (r Requirement) IsPort() bool { return r.Service == "" }

// Describe is "imaps (993/tcp)" or "4190/tcp".
func (r Requirement) Describe() string {
	if r.IsPort() {
		return r.Name
	}
	ports := make([]string, len(r.Ports))
	for i, p := range r.Ports {
		ports[i] = p.String()
	}
	return fmt.Sprintf("%s (%s)", r.Name, strings.Join(ports, ", "))
}

// Names lists the service names that satisfy the requirement by name.
func (r Requirement) Names() []string {
	if a, ok := aliases[r.Service]; ok {
		return a
	}
	return []string{r.Service}
}

// ServiceLookup finds a service definition by name.
type ServiceLookup func(name string) (Service, error)

// BuildRequirements resolves --service and --port into requirements, merging
// aliases (submission = smtp-submission) and dropping duplicates. A service
// name with no definition under any alias is an error: the check cannot know
// its ports.
func BuildRequirements(services, ports []string, lookup ServiceLookup) ([]Requirement, error) {
	var reqs []Requirement
	have := map[string]bool{}
	for _, name := range services {
		if have[name] {
			continue
		}
		candidates := []string{name}
		if a, ok := aliases[name]; ok {
			candidates = a
		}
		var def Service
		var err error
		for _, c := range candidates {
			if def, err = lookup(c); err == nil {
				break
			}
		}
		if err != nil {
			return nil, err
		}
		if len(def.Ports) == 0 {
			return nil, fmt.Errorf("service %q defines no ports, so it cannot be checked", name)
		}
		for _, c := range candidates {
			have[c] = true
		}
		reqs = append(reqs, Requirement{Name: name, Service: def.Name, Ports: def.Ports})
	}
	for _, text := range ports {
		p, err := ParsePort(text)
		if err != nil {
			return nil, err
		}
		if have[p.String()] {
			continue
		}
		have[p.String()] = true
		reqs = append(reqs, Requirement{Name: p.String(), Ports: []Port{p}})
	}
	return reqs, nil
}

// appendUnique appends s unless list holds it.
func appendUnique(list []string, s string) []string {
	if hasString(list, s) {
		return list
	}
	return append(list, s)
}
