package firewalld

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// configFiles indexes what ReadFiles returned: by kind, the file that
// wins for each name (the admin's tree over the defaults, as firewalld's
// _loader does), and the errors of directories that could not be listed.
type configFiles struct {
	dirs    Dirs
	conf    *remote.File
	byKind  map[string]map[string]remote.File // kind -> name -> file
	dirErrs []error
}

func indexFiles(d Dirs, files []remote.File) *configFiles {
	cf := &configFiles{dirs: d, byKind: map[string]map[string]remote.File{}}
	confPath := filepath.Join(d.ConfigDir, "firewalld.conf")
	for i := range files {
		f := files[i]
		if f.Path == confPath {
			cf.conf = &files[i]
			continue
		}
		dir, base := filepath.Split(f.Path)
		if !strings.HasSuffix(base, ".xml") {
			if f.Err != nil { // a directory that could not be listed
				cf.dirErrs = append(cf.dirErrs, fileError(f.Path, f.Err))
			}
			continue
		}
		kind := filepath.Base(dir)
		tree := filepath.Dir(filepath.Clean(dir))
		if tree != d.ConfigDir && tree != d.DefaultDir {
			continue
		}
		m := cf.byKind[kind]
		if m == nil {
			m = map[string]remote.File{}
			cf.byKind[kind] = m
		}
		name := configName(f.Path)
		if _, have := m[name]; have && tree == d.DefaultDir {
			continue // the admin's copy wins
		}
		m[name] = f
	}
	return cf
}

// defaultZone is firewalld.conf's DefaultZone; a missing file means the
// fallback zone, as firewalld itself does.
func (cf *configFiles) defaultZone() (string, error) {
	if cf.conf == nil || errors.Is(cf.conf.Err, fs.ErrNotExist) {
		return FallbackZone, nil
	}
	if cf.conf.Err != nil {
		return "", fileError(cf.conf.Path, cf.conf.Err)
	}
	return parseDefaultZone(cf.conf.Data), nil
}

// permanentRuleset builds the view the next reload gives. Zones that
// decide the verdict must parse (needed); other zones that do not are left
// out, their files are config problems of their own. Services and ipsets
// are parsed when a rule needs them.
func permanentRuleset(cf *configFiles, needed []string) (*Ruleset, error) {
	if len(cf.dirErrs) > 0 {
		return nil, cf.dirErrs[0]
	}
	rs := &Ruleset{Source: cf.dirs.ConfigDir, Zones: map[string]*Zone{}, Services: map[string]Service{},
		ServiceErrs: map[string]error{}, IPSets: map[string]*IPSet{}}
	var err error
	if rs.DefaultZone, err = cf.defaultZone(); err != nil {
		return nil, err
	}
	needed = append(needed, rs.DefaultZone)
	for name, f := range cf.byKind["zones"] {
		var z *Zone
		if f.Err == nil {
			z, err = parseZone(name, f.Path, f.Data)
		} else {
			err = fileError(f.Path, f.Err)
		}
		if err != nil {
			if hasString(needed, name) {
				return nil, err
			}
			continue
		}
		rs.Zones[name] = z
	}
	for name, f := range cf.byKind["ipsets"] {
		if f.Err != nil {
			rs.IPSets[name] = nil
			continue
		}
		set, err := parseIPSet(name, f.Path, f.Data)
		if err != nil {
			set = nil
		}
		rs.IPSets[name] = set
	}
	rs.Policies = map[string]*FwPolicy{}
	for name, f := range cf.byKind["policies"] {
		var p *FwPolicy
		if f.Err == nil {
			p, err = parsePolicy(name, f.Path, f.Data)
		} else {
			err = fileError(f.Path, f.Err)
		}
		if err != nil {
			return nil, err // a policy may refuse anything: not knowing it is not knowing the verdict
		}
		p.fromAdmin = strings.HasPrefix(f.Path, cf.dirs.ConfigDir+string(filepath.Separator))
		rs.Policies[name] = p
	}
	rs.resolve = func(name string) (Service, error) { return cf.service(name, map[string]bool{}) }
	return rs, nil
}

// service reads a definition and follows its <include service=…/>
// elements (newer firewalld's smtp-submission just includes submission).
func (cf *configFiles) service(name string, seen map[string]bool) (Service, error) {
	if seen[name] {
		return Service{}, fmt.Errorf("service %q includes itself", name)
	}
	seen[name] = true
	f, ok := cf.byKind["services"][name]
	if !ok || errors.Is(f.Err, fs.ErrNotExist) {
		return Service{}, fmt.Errorf("service %q: no definition in %s/services or %s/services", name, cf.dirs.ConfigDir, cf.dirs.DefaultDir)
	}
	if f.Err != nil {
		return Service{}, fileError(f.Path, f.Err)
	}
	s, err := parseService(name, f.Path, f.Data)
	if err != nil {
		return Service{}, err
	}
	for _, inc := range s.Includes {
		included, err := cf.service(inc, seen)
		if err != nil {
			return Service{}, fmt.Errorf("%s (included by %s)", err, f.Path)
		}
		s.Ports = appendMissing(s.Ports, included.Ports...)
		s.Protocols = append(s.Protocols, included.Protocols...)
	}
	return s, nil
}

func appendMissing(ports []Port, more ...Port) []Port {
	for _, p := range more {
		found := false
		for _, q := range ports {
			found = found || q == p
		}
		if !found {
			ports = append(ports, p)
		}
	}
	return ports
}
