package firewalld

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/beevik/etree"
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

// maxXMLBytes bounds a config file read; firewalld's largest stock file is a
// few KiB.
const maxXMLBytes = 4 << 20

// parseDefaultZone reads DefaultZone= from firewalld.conf's text. No key
// means firewalld's fallback zone (io/firewalld_conf.py).
func parseDefaultZone(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(key) == "DefaultZone" && strings.TrimSpace(value) != "" {
			return strings.TrimSpace(value)
		}
	}
	return FallbackZone
}

// parseZone reads a zone file as zone_reader (io/zone.py) does: the
// elements that decide reachability and bindings; a rule firewalld refuses
// (Rich_Rule.check) or repeats is skipped as firewalld skips it.
func parseZone(name, path string, data []byte) (*Zone, error) {
	root, err := parseFile(path, data)
	if err != nil {
		return nil, err
	}
	if root.Tag != "zone" {
		return nil, &FileError{path, fmt.Errorf("root element is <%s>, want <zone>", root.Tag)}
	}
	z := &Zone{Name: name, Target: root.SelectAttrValue("target", "default")}
	if z.Target == "" {
		z.Target = "default"
	}
	// firewalld 2.x only (1.3 refuses the file: validate_zone.go).
	z.IngressPriority, _ = strconv.Atoi(strings.TrimSpace(root.SelectAttrValue("ingress-priority", "0")))
	readElements(root, z)
	return z, nil
}

// readElements reads what zones and policies share (io/policy.py
// common_startElement) plus a zone's bindings; a rule firewalld refuses
// (Rich_Rule.check) or repeats is skipped as common_endElement skips it.
func readElements(root *etree.Element, z *Zone) {
	seenRules := map[string]bool{}
	for _, el := range root.ChildElements() {
		switch el.Tag {
		case "service":
			z.Services = appendUnique(z.Services, el.SelectAttrValue("name", ""))
		case "port":
			z.Ports = append(z.Ports, attrPort(el))
		case "source-port":
			z.SourcePorts = append(z.SourcePorts, attrPort(el))
		case "protocol":
			z.Protocols = appendUnique(z.Protocols, el.SelectAttrValue("value", ""))
		case "forward-port":
			z.ForwardPorts = append(z.ForwardPorts, ForwardPort{Port: attrPort(el),
				ToPort: el.SelectAttrValue("to-port", ""), ToAddr: el.SelectAttrValue("to-addr", "")})
		case "interface":
			z.Interfaces = appendUnique(z.Interfaces, el.SelectAttrValue("name", ""))
		case "source":
			for _, k := range []string{"address", "mac"} {
				if v := el.SelectAttrValue(k, ""); v != "" {
					z.Sources = appendUnique(z.Sources, v)
				}
			}
			if v := el.SelectAttrValue("ipset", ""); v != "" {
				z.Sources = appendUnique(z.Sources, "ipset:"+v)
			}
		case "rule":
			r := ruleFromXML(el)
			if why := r.Check(); why != "" {
				z.Skipped = append(z.Skipped, why+": "+r.Text)
				continue
			}
			if seenRules[r.Text] {
				continue
			}
			seenRules[r.Text] = true
			z.RichRules = append(z.RichRules, r)
		}
	}
}

func attrPort(el *etree.Element) Port {
	return Port{Port: el.SelectAttrValue("port", ""), Protocol: el.SelectAttrValue("protocol", "")}
}

// ruleFromXML builds a rich rule from its <rule> element through the same
// builder as the text parser, so that its canonical text equals the string
// firewalld reports at runtime (Rich_Rule.__str__).
func ruleFromXML(rule *etree.Element) RichRule {
	var b ruleBuilder
	for _, k := range []string{"priority", "family"} {
		if v := rule.SelectAttrValue(k, ""); v != "" {
			if err := b.attr(k, v); err != nil {
				b.r.Priority = 1 << 20 // out of range: Check refuses it
			}
		}
	}
	for _, el := range rule.ChildElements() {
		b.element(el.Tag)
		for _, a := range el.Attr {
			_ = b.attr(a.Key, a.Value)
		}
		if l := el.SelectElement("limit"); l != nil {
			b.element("limit")
			_ = b.attr("value", l.SelectAttrValue("value", ""))
		}
	}
	return b.finish()
}

// parseService reads a service file (io/service.py): ports, protocols,
// includes and the families its destinations limit it to.
func parseService(name, path string, data []byte) (Service, error) {
	root, err := parseFile(path, data)
	if err != nil {
		return Service{}, err
	}
	s := Service{Name: name}
	for _, el := range root.ChildElements() {
		switch el.Tag {
		case "port":
			// firewalld reads <port protocol="esp" port=""/> as a protocol,
			// not a port (see ipsec.xml); only real ports open ports.
			if port := el.SelectAttrValue("port", ""); port != "" {
				s.Ports = append(s.Ports, attrPort(el))
			} else if p := el.SelectAttrValue("protocol", ""); p != "" {
				s.Protocols = append(s.Protocols, p)
			}
		case "protocol":
			s.Protocols = append(s.Protocols, el.SelectAttrValue("value", ""))
		case "include":
			s.Includes = append(s.Includes, el.SelectAttrValue("service", ""))
		case "destination":
			for _, fam := range []string{IPv4, IPv6} {
				if el.SelectAttrValue(fam, "") != "" {
					s.Families = append(s.Families, fam)
				}
			}
		}
	}
	return s, nil
}

// parseIPSet reads an ipset file (io/ipset.py): type, family option and
// entries.
func parseIPSet(name, path string, data []byte) (*IPSet, error) {
	root, err := parseFile(path, data)
	if err != nil {
		return nil, err
	}
	set := &IPSet{Name: name, Type: root.SelectAttrValue("type", ""), Family: IPv4}
	for _, el := range root.ChildElements() {
		switch el.Tag {
		case "option":
			if el.SelectAttrValue("name", "") == "family" && el.SelectAttrValue("value", "") == "inet6" {
				set.Family = IPv6
			}
		case "entry":
			set.Entries = append(set.Entries, strings.TrimSpace(el.Text()))
		}
	}
	return set, nil
}

// parseFile parses one config file as firewalld's expat does
// (parseConfigXML, xmlread.go).
func parseFile(path string, data []byte) (*etree.Element, error) {
	return parseConfigXML(path, data)
}

// configName is "public" for ".../zones/public.xml".
func configName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".xml")
}
