package firewalld

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/beevik/etree"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// ConfigProblem is a file firewalld would refuse when it next loads its
// permanent configuration (firewall-cmd --reload, a restart): the reload
// fails, and a restart falls back to the stock configuration.
type ConfigProblem struct {
	Path   string
	Reason string // firewalld's own error where it has one ("PARSE_ERROR: Unexpected element bogus")
	// Unverified is true when this check could not read the file
	// (permission denied, too large): firewalld, as root, may read it
	// fine, so nothing is known about it, which is not a refusal.
	Unverified bool
}

// loadKinds is the order firewalld reads and then checks its objects in
// (core/fw.py _start_load_stock_config/_start_load_user_config,
// core/io/functions.py check_on_disk_config, fw_config.full_check_config).
var loadKinds = []string{"ipsets", "helpers", "icmptypes", "services", "zones", "policies"}

// netDBFiles are read with the config: firewalld resolves port and
// protocol names through them (getservbyname, getprotobyname).
var netDBFiles = []string{"/etc/services", "/etc/protocols"}

// PermanentPatterns are the files firewalld loads when it starts or
// reloads: firewalld.conf, then <kind>/*.xml of the package defaults and of
// the admin's tree for each kind (a file in ConfigDir overrides the one of
// the same name in DefaultDir), and the two name databases the port and
// protocol checks consult. Zones in subdirectories of <ConfigDir>/zones
// (firewalld's "combined" zones) are not covered: ReadFiles globs one level.
func PermanentPatterns(d Dirs) []string {
	paths := []string{filepath.Join(d.ConfigDir, "firewalld.conf")}
	paths = append(paths, netDBFiles...)
	for _, kind := range loadKinds {
		for _, dir := range []string{d.DefaultDir, d.ConfigDir} {
			paths = append(paths, filepath.Join(dir, kind, "*.xml"))
		}
	}
	return paths
}

// permanentConfig is every object firewalld would load, in its load order.
type permanentConfig struct {
	db       netDB
	problems []ConfigProblem
	failed   map[string]bool              // paths already refused
	names    map[string][]string          // kind -> names in load order
	paths    map[string]map[string]string // kind -> name -> winning file
	broken   map[string]map[string]bool   // kind -> names whose winning file was refused
	zones    map[string]*vZone            // zones and policies ("policies/"+name)
	// defaultZone is the zone firewalld will make the default: it and the
	// zones with interfaces or sources are the ones it applies.
	defaultZone   string
	ipsetTypes    map[string]string
	ipsetFamilies map[string]string // "ipv4" or "ipv6" (option family)
	services      map[string]*vService
	icmp          map[string]*vICMPType
	parsed        map[string]parsedXML // by path, see parseAll
}

type parsedXML struct {
	root *etree.Element
	err  error
}

// parseAll parses every readable XML file up front, on all cores: parsing
// is most of the validation's time (a stock tree holds ~250 files) and the
// files are independent; what the readers then do with them is ordered.
func parseAll(byDir map[string][]remote.File) map[string]parsedXML {
	var files []remote.File
	for _, list := range byDir {
		for _, f := range list {
			if f.Err == nil {
				files = append(files, f)
			}
		}
	}
	results := make([]parsedXML, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				results[i].root, results[i].err = parseXML(files[i].Data)
			}
		}()
	}
	wg.Wait()
	out := make(map[string]parsedXML, len(files))
	for i, f := range files {
		out[f.Path] = results[i]
	}
	return out
}

func (c *permanentConfig) refuse(path, reason string) {
	if c.failed[path] {
		return
	}
	c.failed[path] = true
	// one line, whatever the file held
	reason = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(reason)
	c.problems = append(c.problems, ConfigProblem{Path: path, Reason: reason})
}

func (c *permanentConfig) exists(kind, name string) bool {
	_, ok := c.paths[kind][name]
	return ok
}

// ValidatePermanent judges the permanent configuration as firewalld 1.3
// does when it loads it: each reader (core/io/zone.py, policy.py,
// service.py, ipset.py, icmptype.py, helper.py) with its element and
// attribute checks, then the cross-checks of full_check_config (services,
// ICMP types, zones a policy names exist; an interface or source is bound
// to one zone only; every rich rule reads back from its string form). What
// firewalld only warns about and skips (a rich rule failing
// Rich_Rule.check, such as MISSING_FAMILY; a bad ipset entry; a bad
// firewalld.conf line: see ConfigWarnings) is not a problem here.
func ValidatePermanent(d Dirs, files []remote.File) []ConfigProblem {
	c := &permanentConfig{
		failed: map[string]bool{}, names: map[string][]string{}, paths: map[string]map[string]string{},
		broken: map[string]map[string]bool{}, zones: map[string]*vZone{}, services: map[string]*vService{},
		icmp: map[string]*vICMPType{}, defaultZone: effectiveDefaultZone(d, files),
		ipsetTypes: map[string]string{}, ipsetFamilies: map[string]string{},
	}
	byDir := map[string][]remote.File{}
	for _, f := range files {
		switch {
		case xmlContains(netDBFiles, f.Path):
			if f.Err == nil && f.Path == "/etc/services" {
				c.db.services = parseNetDB(f.Data)
			} else if f.Err == nil {
				c.db.protocols = parseNetDB(f.Data)
			}
		case strings.HasSuffix(f.Path, ".xml"):
			byDir[filepath.Dir(f.Path)] = append(byDir[filepath.Dir(f.Path)], f)
		case f.Err != nil && !errors.Is(f.Err, fs.ErrNotExist) && f.Path != filepath.Join(d.ConfigDir, "firewalld.conf"):
			// a directory ReadFiles could not list: firewalld's os.listdir fails too
			c.refuse(f.Path, "cannot list the directory: "+f.Err.Error())
		}
	}
	c.parsed = parseAll(byDir)
	for _, kind := range loadKinds {
		c.paths[kind], c.broken[kind] = map[string]string{}, map[string]bool{}
		for _, dir := range []string{d.DefaultDir, d.ConfigDir} {
			for _, f := range byDir[filepath.Join(dir, kind)] {
				c.load(kind, f)
			}
		}
	}
	c.crossCheck()
	for _, z := range []string{"block", "drop", "trusted"} {
		if !c.exists("zones", z) {
			c.refuse(filepath.Join(d.DefaultDir, "zones", z+".xml"), fmt.Sprintf("INVALID_ZONE: Zone '%s' is not available.", z))
		}
	}
	return c.problems
}

// readerCode is the error each reader raises for XML expat refuses.
var readerCode = map[string]string{
	"zones": "INVALID_ZONE: not a valid zone file", "policies": "INVALID_POLICY: not a valid policy file",
	"services": "INVALID_SERVICE: not a valid service file", "ipsets": "INVALID_IPSET: not a valid ipset file",
	"icmptypes": "INVALID_ICMPTYPE: not a valid icmptype file", "helpers": "INVALID_HELPER: not a valid helper file",
}

// load reads one file as its reader would and records the object.
func (c *permanentConfig) load(kind string, f remote.File) {
	name := strings.TrimSuffix(filepath.Base(f.Path), ".xml")
	// Whatever happens next, the name exists for firewalld's cross-checks
	// (or firewalld stops here): a broken file must not also make every
	// reference to it look dangling.
	if !c.exists(kind, name) {
		c.names[kind] = append(c.names[kind], name)
	}
	c.paths[kind][name] = f.Path
	c.broken[kind][name] = true
	if f.Err != nil {
		c.refuse(f.Path, fileProblem(f.Err))
		if !errors.Is(f.Err, remote.ErrNotRegular) && !errors.Is(f.Err, fs.ErrNotExist) {
			c.problems[len(c.problems)-1].Unverified = true
		}
		return
	}
	if msg := objectNameError(kind, name); msg != "" {
		c.refuse(f.Path, msg)
		return
	}
	parsed, ok := c.parsed[f.Path]
	if !ok {
		parsed.root, parsed.err = parseXML(f.Data)
	}
	root, err := parsed.root, parsed.err
	if err != nil {
		c.refuse(f.Path, readerCode[kind]+": "+strings.TrimPrefix(err.Error(), "malformed XML: "))
		return
	}
	var msg string
	switch kind {
	case "zones", "policies":
		z := &vZone{name: name, path: f.Path, isPolicy: kind == "policies", target: "default", priority: -1}
		if z.isPolicy {
			z.target = "CONTINUE"
		}
		r := &zoneReader{z: z, db: c.db, spec: zoneSpec}
		if z.isPolicy {
			r.spec = policySpec
		}
		if msg = saxWalk(root, r.start, r.end); msg == "" {
			c.zones[kind+"/"+name] = z
		}
	case "services":
		s := &vService{name: name, path: f.Path}
		if msg = readService(root, c.db, s); msg == "" {
			c.services[name] = s
		}
	case "ipsets":
		var t, family string
		if msg = readIPSet(root, &t, &family); msg == "" {
			c.ipsetTypes[name], c.ipsetFamilies[name] = t, "ipv4"
			if family == "inet6" {
				c.ipsetFamilies[name] = "ipv6"
			}
		}
	case "icmptypes":
		t := &vICMPType{}
		if msg = readICMPType(root, t); msg == "" {
			c.icmp[name] = t
		}
	case "helpers":
		msg = readHelper(root, c.db)
	}
	if msg != "" {
		c.refuse(f.Path, msg)
		return
	}
	c.broken[kind][name] = false
}

// fileProblem says why a file that could not be read is a problem.
func fileProblem(err error) string {
	switch {
	case errors.Is(err, remote.ErrTooLarge):
		return "too large for this check (" + err.Error() + "); firewalld would read it: make it smaller or check it with firewall-cmd --check-config"
	case errors.Is(err, remote.ErrNotRegular):
		return "not a regular file: firewalld cannot read it as a config file (remove it or replace it with the file)"
	case errors.Is(err, fs.ErrNotExist):
		return "listed but cannot be opened (a dangling symlink?): firewalld fails on it too"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied: firewalld (root) may read it, this check cannot; grant read access or run as root"
	}
	return "cannot be read: " + err.Error()
}

// objectNameError is each reader's check_name on the file's base name.
func objectNameError(kind, name string) string {
	switch kind {
	case "zones":
		return zoneNameError("Zone", name, 17)
	case "policies":
		return zoneNameError("Policy", name, 18)
	case "ipsets":
		return nameError(name, "_-:.")
	case "helpers":
		return nameError(name, "-.")
	}
	return nameError(name, "_-")
}
