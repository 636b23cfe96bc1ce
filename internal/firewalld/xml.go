package firewalld

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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

// DefaultZone reads DefaultZone= from <ConfigDir>/firewalld.conf. A missing
// file or key means firewalld's fallback zone, as firewalld itself does.
func (d Dirs) DefaultZone() (string, error) {
	path := filepath.Join(d.ConfigDir, "firewalld.conf")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return FallbackZone, nil
	}
	if err != nil {
		return "", fileError(path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && strings.TrimSpace(key) == "DefaultZone" && strings.TrimSpace(value) != "" {
			return strings.TrimSpace(value), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", &FileError{path, err}
	}
	return FallbackZone, nil
}

// locate returns the path of kind/name.xml, the admin's copy first.
func (d Dirs) locate(kind, name string) (string, error) {
	if strings.ContainsAny(name, "/\x00") || name == "" || name == "." || name == ".." {
		return "", fmt.Errorf("invalid %s name %q", strings.TrimSuffix(kind, "s"), name)
	}
	for _, dir := range []string{d.ConfigDir, d.DefaultDir} {
		path := filepath.Join(dir, kind, name+".xml")
		_, err := os.Stat(path)
		if err == nil {
			return path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fileError(path, err)
		}
	}
	return "", fs.ErrNotExist
}

// maxXMLBytes bounds a config file read; firewalld's largest stock file is a
// few KiB.
const maxXMLBytes = 4 << 20

// readXML parses a file strictly: malformed XML is an error naming the file.
func readXML(path string) (*etree.Element, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxXMLBytes+1))
	if err != nil {
		return nil, &FileError{path, err}
	}
	if len(b) > maxXMLBytes {
		return nil, &FileError{path, fmt.Errorf("larger than %d bytes", maxXMLBytes)}
	}
	doc := etree.NewDocument()
	doc.ReadSettings.ValidateInput = true
	// etree v1.8.1's validator treats the newline after the root element as
	// trailing garbage, so trim it; anything else after the root still fails.
	if err := doc.ReadFromBytes(bytes.TrimSpace(b)); err != nil {
		return nil, &FileError{path, fmt.Errorf("malformed XML: %v", err)}
	}
	root := doc.Root()
	if root == nil {
		return nil, &FileError{path, errors.New("malformed XML: no root element")}
	}
	return root, nil
}

// PermanentZone reads the zone as it will be after the next reload.
func (d Dirs) PermanentZone(name string) (Zone, string, error) {
	path, err := d.locate("zones", name)
	if errors.Is(err, fs.ErrNotExist) {
		return Zone{}, "", fmt.Errorf("zone %q: %w in %s/zones or %s/zones", name, ErrNoSuchZone, d.ConfigDir, d.DefaultDir)
	}
	if err != nil {
		return Zone{}, "", err
	}
	root, err := readXML(path)
	if err != nil {
		return Zone{}, path, err
	}
	if root.Tag != "zone" {
		return Zone{}, path, &FileError{path, fmt.Errorf("root element is <%s>, want <zone>", root.Tag)}
	}
	z := Zone{Name: name, Target: root.SelectAttrValue("target", "default")}
	for _, el := range root.ChildElements() {
		switch el.Tag {
		case "service":
			z.Services = append(z.Services, el.SelectAttrValue("name", ""))
		case "port":
			z.Ports = append(z.Ports, Port{Port: el.SelectAttrValue("port", ""), Protocol: el.SelectAttrValue("protocol", "")})
		case "rule":
			rule, err := ParseRichRule(richRuleText(el))
			if err != nil {
				return Zone{}, path, &FileError{path, err}
			}
			z.RichRules = append(z.RichRules, rule)
		}
	}
	return z, path, nil
}

// Service reads a service definition and follows its <include service=…/>
// elements (newer firewalld's smtp-submission just includes submission).
func (d Dirs) Service(name string) (Service, error) {
	return d.service(name, map[string]bool{})
}

func (d Dirs) service(name string, seen map[string]bool) (Service, error) {
	if seen[name] {
		return Service{}, fmt.Errorf("service %q includes itself", name)
	}
	seen[name] = true
	path, err := d.locate("services", name)
	if errors.Is(err, fs.ErrNotExist) {
		return Service{}, fmt.Errorf("service %q: no definition in %s/services or %s/services", name, d.ConfigDir, d.DefaultDir)
	}
	if err != nil {
		return Service{}, err
	}
	root, err := readXML(path)
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
				s.Ports = append(s.Ports, Port{Port: port, Protocol: el.SelectAttrValue("protocol", "")})
			}
		case "include":
			inc := el.SelectAttrValue("service", "")
			s.Includes = append(s.Includes, inc)
			included, err := d.service(inc, seen)
			if err != nil {
				return Service{}, fmt.Errorf("%s (included by %s)", err, path)
			}
			s.Ports = appendMissing(s.Ports, included.Ports...)
		}
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

// PermanentView reads the zone and every service it (or a rich rule) names.
func (d Dirs) PermanentView(zone string) (*View, error) {
	z, path, err := d.PermanentZone(zone)
	if err != nil {
		return nil, err
	}
	v := &View{Source: path, Zone: z, Services: map[string]Service{}}
	for _, name := range z.serviceNames() {
		s, err := d.Service(name)
		if err != nil {
			return nil, err
		}
		v.Services[name] = s
	}
	return v, nil
}

// serviceNames lists the services the zone opens directly or by rich rule.
func (z Zone) serviceNames() []string {
	names := append([]string(nil), z.Services...)
	for _, r := range z.RichRules {
		if r.Service != "" {
			names = append(names, r.Service)
		}
	}
	return names
}

// richRuleText renders a <rule> element in firewalld's own rich-rule spelling
// (rich.py's __str__), so permanent rules compare equal to the runtime
// strings firewalld returns over D-Bus.
func richRuleText(rule *etree.Element) string {
	parts := []string{"rule"}
	if p := rule.SelectAttrValue("priority", ""); p != "" && p != "0" {
		parts = append(parts, fmt.Sprintf("priority=%q", p))
	}
	if f := rule.SelectAttrValue("family", ""); f != "" {
		parts = append(parts, fmt.Sprintf("family=%q", f))
	}
	var source, destination, element, log, audit, action string
	for _, el := range rule.ChildElements() {
		switch el.Tag {
		case "source", "destination":
			s := el.Tag
			if inv := strings.ToLower(el.SelectAttrValue("invert", "")); inv == "yes" || inv == "true" {
				s += " NOT"
			}
			for _, key := range []string{"address", "mac", "ipset"} {
				if v := el.SelectAttrValue(key, ""); v != "" {
					s += fmt.Sprintf(" %s=%q", key, v)
					break
				}
			}
			if el.Tag == "source" {
				source = s
			} else {
				destination = s
			}
		case "service", "icmp-block", "icmp-type":
			element = fmt.Sprintf("%s name=%q", el.Tag, el.SelectAttrValue("name", ""))
		case "port", "source-port":
			element = fmt.Sprintf("%s port=%q protocol=%q", el.Tag, el.SelectAttrValue("port", ""), el.SelectAttrValue("protocol", ""))
		case "protocol":
			element = fmt.Sprintf("protocol value=%q", el.SelectAttrValue("value", ""))
		case "masquerade":
			element = "masquerade"
		case "tcp-mss-clamp":
			element = "tcp-mss-clamp"
			if v := el.SelectAttrValue("value", ""); v != "" {
				element += fmt.Sprintf(" value=%q", v)
			}
		case "forward-port":
			element = fmt.Sprintf("forward-port port=%q protocol=%q", el.SelectAttrValue("port", ""), el.SelectAttrValue("protocol", ""))
			if v := el.SelectAttrValue("to-port", ""); v != "" {
				element += fmt.Sprintf(" to-port=%q", v)
			}
			if v := el.SelectAttrValue("to-addr", ""); v != "" {
				element += fmt.Sprintf(" to-addr=%q", v)
			}
		case "log", "nflog":
			log = el.Tag + attrs(el, "group", "prefix", "level", "queue-size") + limit(el)
		case "audit":
			audit = "audit" + limit(el)
		case "accept", "drop":
			action = el.Tag + limit(el)
		case "reject":
			action = "reject" + attrs(el, "type") + limit(el)
		case "mark":
			action = "mark set=" + el.SelectAttrValue("set", "") + limit(el)
		}
	}
	for _, s := range []string{source, destination, element, log, audit, action} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func attrs(el *etree.Element, keys ...string) string {
	var s string
	for _, k := range keys {
		if v := el.SelectAttrValue(k, ""); v != "" {
			s += fmt.Sprintf(" %s=%q", k, v)
		}
	}
	return s
}

// limit renders a nested <limit value="2/minute"/> the way firewalld
// normalises it ("2/m").
func limit(el *etree.Element) string {
	l := el.SelectElement("limit")
	if l == nil {
		return ""
	}
	v := l.SelectAttrValue("value", "")
	if rate, unit, ok := strings.Cut(v, "/"); ok {
		switch unit {
		case "second", "minute", "hour", "day":
			v = rate + "/" + unit[:1]
		}
	}
	return fmt.Sprintf(" limit value=%q", v)
}
