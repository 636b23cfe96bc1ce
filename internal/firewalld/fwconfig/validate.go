package fwconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/netdb"
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
	// OnlyUnder, when the host's firewalld version is unknown, names the
	// release whose rules refuse the file while the other's accept it
	// ("firewalld 2.x"): whether the reload fails depends on which runs.
	OnlyUnder string
}

// loadKinds is the order firewalld reads and then checks its objects in
// (core/fw.py _start_load_stock_config/_start_load_user_config,
// core/io/functions.py check_on_disk_config, fw_config.full_check_config).
var loadKinds = []string{"ipsets", "helpers", "icmptypes", "services", "zones", "policies"}

// NetDBFiles are read with the config: firewalld resolves port and
// protocol names through them (getservbyname, getprotobyname).
var NetDBFiles = []string{netdb.ServicesPath, netdb.ProtocolsPath}

// PermanentPatterns are the files firewalld loads when it starts or
// reloads: firewalld.conf, then <kind>/*.xml of the package defaults and of
// the admin's tree for each kind (a file in ConfigDir overrides the one of
// the same name in DefaultDir), the two name databases the port and
// protocol checks consult, and lockdown-whitelist.xml (firewalld 1.3's
// check_on_disk_config reads it; 2.x dropped lockdown). Zones in
// subdirectories of <ConfigDir>/zones (firewalld's "combined" zones) are
// not covered: ReadFiles globs one level.
func PermanentPatterns(d Dirs) []string {
	paths := []string{filepath.Join(d.ConfigDir, "firewalld.conf"), lockdownPath(d)}
	paths = append(paths, NetDBFiles...)
	for _, kind := range loadKinds {
		for _, dir := range []string{d.DefaultDir, d.ConfigDir} {
			paths = append(paths, filepath.Join(dir, kind, "*.xml"))
		}
	}
	return paths
}

// Tree is every object firewalld would load, in its load order.
type Tree struct {
	Rules    RuleSet
	V2       bool   // rules == Rules2: firewalld 2.x's readers raise where 1.3's skip
	backend  string // FirewallBackend, for the policy masquerade check
	DB       NetDB
	problems []ConfigProblem
	failed   map[string]bool              // paths already refused
	Names    map[string][]string          // kind -> names in load order
	Paths    map[string]map[string]string // kind -> name -> winning file
	broken   map[string]map[string]bool   // kind -> names whose winning file was refused
	zones    map[string]*vZone            // zones and policies ("policies/"+name)
	// defaultZone is the zone firewalld will make the default: it and the
	// zones with interfaces or sources are the ones it applies.
	defaultZone   string
	ipsetTypes    map[string]string
	ipsetFamilies map[string]string  // "ipv4" or "ipv6" (option family)
	ipsets        map[string]*vIPSet // options and entries, for 2.x's maxelem check
	services      map[string]*vService
	icmp          map[string]*vICMPType
	parsed        map[string]parsedXML // by path, see parseAll
	// stockServices are the package's own definitions (DefaultDir), kept
	// beside the admin's overrides: a required service's ports are its
	// protocol's, not what an override says (see requiredPorts).
	stockServices map[string]*vService
	dirs          Dirs
	unlisted      []remote.File   // directories that could not be listed
	unreadable    map[string]bool // paths this check could not read
}

func (c *Tree) refuse(path, reason string) {
	if c.failed[path] {
		return
	}
	c.failed[path] = true
	// one line, whatever the file held
	reason = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(reason)
	c.problems = append(c.problems, ConfigProblem{Path: path, Reason: reason})
}

func (c *Tree) exists(kind, name string) bool {
	_, ok := c.Paths[kind][name]
	return ok
}

// ValidatePermanent judges the permanent configuration as the firewalld
// release v runs would when it next loads it (firewall-cmd --reload,
// check_on_disk_config): each reader (core/io/zone.py, policy.py,
// service.py, ipset.py, icmptype.py, helper.py) with its element and
// attribute checks, then the cross-checks of full_check_config (services,
// ICMP types, zones a policy names exist; an interface or source is bound
// to one zone only; every rich rule reads back from its string form).
// firewalld 1.3 only warns about and skips a rich rule failing
// Rich_Rule.check (MISSING_FAMILY, INVALID_LIMIT…), which is then not a
// problem; firewalld 2.x raises (common_endElement), which refuses the
// file. A bad ipset entry or firewalld.conf line is skipped by both (see
// ConfigWarnings). For an unknown version both releases' rules are
// applied, and a file only one of them refuses says which (OnlyUnder).
func ValidatePermanent(d Dirs, files []remote.File, v FirewalldVersion) []ConfigProblem {
	problems, _ := LoadPermanent(d, files, v)
	return problems
}

// LoadPermanent is ValidatePermanent that also returns what the readers
// kept: the first release's config when both are applied (1.3's: 2.x's
// refuses more, which the problems say).
func LoadPermanent(d Dirs, files []remote.File, v FirewalldVersion) ([]ConfigProblem, *Tree) {
	in := sortFiles(d, files)
	sets := v.RuleSets()
	configs := make([]*Tree, len(sets))
	verdicts := make([][]ConfigProblem, len(sets))
	for i, rules := range sets {
		configs[i] = in.validate(d, files, rules)
		verdicts[i] = configs[i].problems
	}
	if len(sets) == 1 {
		return verdicts[0], configs[0]
	}
	return mergeVerdicts(sets, verdicts), configs[0]
}

// validate is check_on_disk_config with one release's rules; what the
// readers kept is the permanent config the verdict is judged on
// (PermanentRuleset).
func (in *configInput) validate(d Dirs, files []remote.File, rules RuleSet) *Tree {
	c := &Tree{
		Rules: rules, V2: rules == Rules2, DB: in.DB, parsed: in.parsed, dirs: d, unlisted: in.unlisted,
		stockServices: map[string]*vService{}, unreadable: map[string]bool{},
		failed: map[string]bool{}, Names: map[string][]string{}, Paths: map[string]map[string]string{},
		broken: map[string]map[string]bool{}, zones: map[string]*vZone{}, services: map[string]*vService{},
		icmp: map[string]*vICMPType{}, defaultZone: effectiveDefaultZone(d, files, rules),
		ipsetTypes: map[string]string{}, ipsetFamilies: map[string]string{}, ipsets: map[string]*vIPSet{},
	}
	c.backend = "nftables"
	if conf, _ := ConfAndZones(d, files); conf != nil {
		c.backend = firewallBackend(conf.Data, rules)
	}
	if msg := confRefusal(d, files, rules); msg != "" {
		c.refuse(filepath.Join(d.ConfigDir, "firewalld.conf"), msg)
	}
	for _, f := range in.unlisted {
		c.refuse(f.Path, "cannot list the directory: "+f.Err.Error())
	}
	for _, kind := range loadKinds {
		c.Paths[kind], c.broken[kind] = map[string]string{}, map[string]bool{}
		for _, dir := range []string{d.DefaultDir, d.ConfigDir} {
			for _, f := range in.byDir[filepath.Join(dir, kind)] {
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
	if !c.V2 && in.lockdown != nil {
		c.checkLockdown(*in.lockdown)
	}
	return c
}

// mergeVerdicts joins the verdicts of both releases' rules (the version
// is unknown): a file both refuse is refused, with the second reason when
// it differs; a file only one refuses carries that release in OnlyUnder.
func mergeVerdicts(sets []RuleSet, verdicts [][]ConfigProblem) []ConfigProblem {
	var out []ConfigProblem
	index := map[string]int{}
	refusedBy := map[string][]RuleSet{}
	for i, problems := range verdicts {
		for _, p := range problems {
			refusedBy[p.Path] = append(refusedBy[p.Path], sets[i])
			j, seen := index[p.Path]
			if !seen {
				index[p.Path] = len(out)
				out = append(out, p)
				continue
			}
			if code(out[j].Reason) != code(p.Reason) {
				out[j].Reason += " (" + sets[i].String() + ": " + p.Reason + ")"
			}
			out[j].Unverified = out[j].Unverified || p.Unverified
		}
	}
	for i := range out {
		if by := refusedBy[out[i].Path]; len(by) < len(sets) {
			out[i].OnlyUnder = by[0].String()
		}
	}
	return out
}

// code is the FirewallError code a reason starts with, or the reason.
func code(reason string) string {
	word, _, _ := strings.Cut(reason, ":")
	return word
}

// readerCode is the error each reader raises for XML expat refuses.
var readerCode = map[string]string{
	"zones": "INVALID_ZONE: not a valid zone file", "policies": "INVALID_POLICY: not a valid policy file",
	"services": "INVALID_SERVICE: not a valid service file", "ipsets": "INVALID_IPSET: not a valid ipset file",
	"icmptypes": "INVALID_ICMPTYPE: not a valid icmptype file", "helpers": "INVALID_HELPER: not a valid helper file",
}

// load reads one file as its reader would and records the object.
func (c *Tree) load(kind string, f remote.File) {
	name := strings.TrimSuffix(filepath.Base(f.Path), ".xml")
	// Whatever happens next, the name exists for firewalld's cross-checks
	// (or firewalld stops here): a broken file must not also make every
	// reference to it look dangling.
	if !c.exists(kind, name) {
		c.Names[kind] = append(c.Names[kind], name)
	}
	c.Paths[kind][name] = f.Path
	c.broken[kind][name] = true
	if f.Err != nil {
		c.unreadable[f.Path] = true
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
		parsed.root, parsed.err = expat.Parse(f.Data)
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
		r := &zoneReader{z: z, db: c.DB, v2: c.V2, spec: zoneSpecs[c.Rules]}
		if z.isPolicy {
			r.spec = policySpecs[c.Rules]
		}
		if msg = saxWalk(root, r.start, r.end); msg == "" {
			z.skipped = r.skipped
			c.zones[kind+"/"+name] = z
		}
	case "services":
		s := &vService{name: name, path: f.Path}
		if msg = readService(root, c.DB, s); msg == "" {
			c.services[name] = s
			if filepath.Dir(f.Path) == filepath.Join(c.dirs.DefaultDir, "services") {
				c.stockServices[name] = s
			}
		}
	case "ipsets":
		set := &vIPSet{path: f.Path, options: map[string]string{}}
		if msg = readIPSet(root, set); msg == "" {
			c.ipsets[name] = set
			c.ipsetTypes[name], c.ipsetFamilies[name] = set.ipsetType, "ipv4"
			if set.options["family"] == "inet6" {
				c.ipsetFamilies[name] = "ipv6"
			}
		}
	case "icmptypes":
		t := &vICMPType{}
		if msg = readICMPType(root, t); msg == "" {
			c.icmp[name] = t
		}
	case "helpers":
		msg = readHelper(root, c.DB)
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
