package fwconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// Dirs are firewalld's two configuration trees: the admin's (/etc/firewalld)
// and the package defaults (/usr/lib/firewalld). A file in ConfigDir
// overrides the file of the same name in DefaultDir.
type Dirs struct {
	ConfigDir  string
	DefaultDir string
}

// FallbackZone is what firewalld uses when firewalld.conf names no zone.
const FallbackZone = "public"

// ErrNoSuchZone means neither tree has the zone's XML file.
var ErrNoSuchZone = errors.New("no such zone")

// FileError names the file a permanent-view read failed on.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// fileError wraps err with path, dropping the *fs.PathError layer that would
// repeat the path.
func fileError(path string, err error) *FileError {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &FileError{path, err}
}

// PermanentRuleset is the view the next reload gives, built from what
// firewalld's readers kept (validate.go): rules 1.3 skips at load are
// gone (listed in Zone.Skipped), the default zone is the one firewalld
// falls back to when firewalld.conf names a zone that does not exist.
// Zones that decide the verdict (needed, and the default zone) must have
// been read; another zone whose file is refused is left out (the refusal
// is a ConfigProblem of its own). Policies may refuse anything: one that
// could not be read leaves the verdict unknown.
func (c *Tree) PermanentRuleset(needed []string) (*ruleset.Ruleset, error) {
	if len(c.unlisted) > 0 {
		return nil, fileError(c.unlisted[0].Path, c.unlisted[0].Err)
	}
	rs := &ruleset.Ruleset{Source: c.dirs.ConfigDir, DefaultZone: c.defaultZone, Zones: map[string]*ruleset.Zone{},
		Services: map[string]ruleset.Service{}, ServiceErrs: map[string]error{}, IPSets: map[string]*ruleset.IPSet{},
		Policies: map[string]*ruleset.FwPolicy{}}
	needed = append(needed, rs.DefaultZone)
	for _, name := range c.Names["zones"] {
		vz, ok := c.zones["zones/"+name]
		// a zone firewalld refuses, when it reads it or in its
		// cross-checks (a service that does not exist)
		if c.broken["zones"][name] || !ok || c.failed[c.Paths["zones"][name]] {
			if slices.Contains(needed, name) {
				return nil, c.refusal("zones", name)
			}
			continue
		}
		z, err := vz.model()
		if err != nil {
			return nil, err
		}
		rs.Zones[name] = z
	}
	for _, name := range c.Names["policies"] {
		vp, ok := c.zones["policies/"+name]
		if c.broken["policies"][name] || !ok {
			return nil, c.refusal("policies", name)
		}
		set, err := vp.model()
		if err != nil {
			return nil, err
		}
		rs.Policies[name] = &ruleset.FwPolicy{Name: name, Priority: int(vp.priority), Ingress: vp.ingress, Egress: vp.egress, Set: set,
			FromAdmin: c.FromAdmin(vp.path)}
	}
	for _, name := range c.Names["ipsets"] {
		set, ok := c.ipsets[name]
		if c.broken["ipsets"][name] || !ok {
			rs.IPSets[name] = nil
			continue
		}
		rs.IPSets[name] = &ruleset.IPSet{Name: name, Type: set.ipsetType, Family: c.ipsetFamilies[name], Entries: keptEntries(set, c.DB)}
	}
	for _, name := range c.Names["services"] {
		if s, err := c.service(c.services, name, map[string]bool{}); err != nil {
			rs.ServiceErrs[name] = err
		} else {
			rs.Services[name] = s
		}
	}
	return rs, nil
}

func (c *Tree) FromAdmin(path string) bool {
	return strings.HasPrefix(path, c.dirs.ConfigDir+string(filepath.Separator))
}

// refusal is why the winning file of kind/name was not kept: firewalld's
// own reason where the reader gave one.
func (c *Tree) refusal(kind, name string) error {
	path := c.Paths[kind][name]
	for _, p := range c.problems {
		switch {
		case p.Path != path:
		case c.unreadable[path]:
			return &FileError{path, errors.New(p.Reason)} // not read: nothing is known of it
		default:
			return &FileError{path, RefusedError(p.Reason)}
		}
	}
	return &FileError{path, RefusedError("firewalld refuses the file")}
}

// RefusedError is a reader's refusal of a file the verdict needs, read
// and refused for what it holds: the reload fails (a ConfigProblem says
// so), and what it would give is not judged (see Evaluate).
type RefusedError string

func (e RefusedError) Error() string { return string(e) }

// LenientRuleset stands in for a permanent view that firewalld 2.x's
// readers refused a needed zone of, where 1.3's skip the offending rule
// instead: the next reload fails anyway (a ConfigProblem says so), and
// the file is judged as far as a reader can keep it, its skipped rules
// listed, rather than not at all.
func LenientRuleset(d Dirs, files []remote.File, needed []string) (*ruleset.Ruleset, error) {
	_, c := LoadPermanent(d, files, ParseFirewalldVersion("1.3", "the lenient reading"))
	return c.PermanentRuleset(needed)
}

// service resolves a definition from defs (the winning files, or the
// package's own) with its <include service=…/> elements (newer
// firewalld's smtp-submission just includes submission).
func (c *Tree) service(defs map[string]*vService, name string, seen map[string]bool) (ruleset.Service, error) {
	if seen[name] {
		return ruleset.Service{}, fmt.Errorf("service %q includes itself", name)
	}
	seen[name] = true
	vs, ok := defs[name]
	if !ok {
		if path, known := c.Paths["services"][name]; known && c.broken["services"][name] {
			return ruleset.Service{}, c.refusal("services", name)
		} else if known {
			return ruleset.Service{}, fmt.Errorf("service %q: %s is not a definition of the package", name, path)
		}
		return ruleset.Service{}, fmt.Errorf("service %q: no definition in %s/services or %s/services", name, c.dirs.ConfigDir, c.dirs.DefaultDir)
	}
	s := ruleset.Service{Name: name, Path: vs.path, Includes: vs.includes, Families: vs.families,
		Protocols: append([]string(nil), vs.protocols...)}
	for _, p := range vs.ports {
		s.Ports = append(s.Ports, ruleset.Port{Port: p[0], Protocol: p[1]})
	}
	for _, inc := range vs.includes {
		included, err := c.service(defs, inc, seen)
		if err != nil {
			return ruleset.Service{}, fmt.Errorf("%s (included by %s)", err, vs.path)
		}
		s.Ports = ruleset.AppendMissing(s.Ports, included.Ports...)
		s.Protocols = append(s.Protocols, included.Protocols...)
	}
	return s, nil
}

// model is the zone (or a policy's set of rules) as the chain judgement
// reads it. Each kept rule is read back from its string form, which is
// the string firewalld reports at runtime (Rich_Rule.__str__), so both
// views hold the same rule the same way.
func (z *vZone) model() (*ruleset.Zone, error) {
	m := &ruleset.Zone{Name: z.name, Target: z.target, Services: append([]string(nil), z.services...),
		Protocols: append([]string(nil), z.protocols...), Interfaces: append([]string(nil), z.interfaces...),
		Sources: append([]string(nil), z.sources...), Skipped: z.skipped,
		IngressPriority: int(z.ingressPriority)}
	for _, p := range z.ports {
		m.Ports = append(m.Ports, ruleset.Port{Port: p[0], Protocol: p[1]})
	}
	for _, p := range z.sourcePorts {
		m.SourcePorts = append(m.SourcePorts, ruleset.Port{Port: p[0], Protocol: p[1]})
	}
	for _, f := range z.forwardPorts {
		m.ForwardPorts = append(m.ForwardPorts, ruleset.ForwardPort{Port: ruleset.Port{Port: f[0], Protocol: f[1]}, ToPort: f[2], ToAddr: f[3]})
	}
	for _, vr := range z.rules {
		r, err := ruleset.ParseRichRule(vr.String())
		if err != nil {
			return nil, &FileError{z.path, err}
		}
		m.RichRules = append(m.RichRules, r)
	}
	return m, nil
}
