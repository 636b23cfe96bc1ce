package firewalld

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// CLISource reads the runtime zone with one `firewall-cmd --list-all` call,
// for hosts where the monitoring user may run firewall-cmd through sudo but
// may not talk to firewalld over D-Bus. Path may be a sudo wrapper.
type CLISource struct {
	Path string
}

// RuntimeView runs `firewall-cmd [--zone=Z] --list-all` and parses it. With
// zone "" firewall-cmd lists the default zone and names it on its first line.
// Service definitions are not part of the output: the caller resolves them.
func (s CLISource) RuntimeView(ctx context.Context, zone string) (*View, error) {
	args := []string{"--list-all"}
	if zone != "" {
		args = []string{"--zone=" + zone, "--list-all"}
	}
	cmd := exec.CommandContext(ctx, s.Path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	text := strings.TrimSpace(stdout.String() + "\n" + stderr.String())
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s --list-all: no answer: timed out", s.Path)
	}
	if err != nil {
		var exitErr *exec.ExitError
		switch {
		case strings.Contains(text, "FirewallD is not running") || strings.Contains(text, "NOT_RUNNING"):
			return nil, ErrNotRunning
		case strings.Contains(text, "INVALID_ZONE"):
			return nil, fmt.Errorf("%w: firewall-cmd says %s", ErrNoSuchZone, firstLine(text))
		case strings.Contains(text, "Authorization failed") || strings.Contains(text, "ACCESS_DENIED") ||
			strings.Contains(text, "NotAuthorized") || strings.Contains(text, "password is required"):
			return nil, fmt.Errorf("%s --list-all: %w: %s", s.Path, ErrAccessDenied, firstLine(text))
		case errors.As(err, &exitErr):
			return nil, fmt.Errorf("%s --list-all exited %d: %s", s.Path, exitErr.ExitCode(), firstLine(text))
		}
		return nil, fmt.Errorf("%s: %v", s.Path, err)
	}
	z, err := ParseListAll(stdout.String())
	if err != nil {
		return nil, fmt.Errorf("%s --list-all: %v", s.Path, err)
	}
	return &View{Source: "firewall-cmd", Zone: z, Services: map[string]Service{}}, nil
}

// ParseListAll reads the output of `firewall-cmd --list-all`.
func ParseListAll(out string) (Zone, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 || strings.HasPrefix(lines[0], " ") || strings.TrimSpace(lines[0]) == "" {
		return Zone{}, fmt.Errorf("unexpected output (no zone header): %q", firstLine(out))
	}
	name, _, _ := strings.Cut(strings.TrimSpace(lines[0]), " ")
	z := Zone{Name: name}
	seen := map[string]bool{}
	inRich := false
	for _, line := range lines[1:] {
		if inRich && strings.HasPrefix(line, "\t") {
			r, err := ParseRichRule(strings.TrimSpace(line))
			if err != nil {
				return Zone{}, err
			}
			z.RichRules = append(z.RichRules, r)
			continue
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		inRich = key == "rich rules"
		seen[key] = true
		fields := strings.Fields(value)
		switch key {
		case "target":
			z.Target = strings.TrimSpace(value)
		case "services":
			z.Services = fields
		case "ports":
			for _, f := range fields {
				p, err := ParsePort(f)
				if err != nil {
					return Zone{}, err
				}
				z.Ports = append(z.Ports, p)
			}
		}
	}
	for _, key := range []string{"target", "services", "ports", "rich rules"} {
		if !seen[key] {
			return Zone{}, fmt.Errorf("unexpected output: no %q line", key)
		}
	}
	return z, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
