package plugin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/regfile"
)

// The ini convention of monitoring-plugins (lib/extra_opts.c,
// lib/parse_ini.c): --extra-opts=[section][@file] reads the options of one
// section of an ini file as if they were given before the command line, so
// an NRPE command line without arguments can still carry them. The section
// defaults to the plugin's name; without @file the first file found on the
// search path is read.

// iniSearchPath is parse_ini.c's default_file(): NAGIOS_CONFIG_PATH's
// directories first (plugins.ini, then nagios-plugins.ini in each), then
// these files in order.
var iniSearchPath = []string{
	"/etc/nagios/plugins.ini",
	"/usr/local/nagios/etc/plugins.ini",
	"/usr/local/etc/nagios/plugins.ini",
	"/etc/opt/nagios/plugins.ini",
	"/etc/nagios-plugins.ini",
	"/usr/local/etc/nagios-plugins.ini",
	"/etc/opt/nagios-plugins.ini",
}

// iniMaxBytes bounds an --extra-opts file.
const iniMaxBytes = 1 << 20

// iniOption is one "key = value" line; HasValue is false for "key =" (an
// option without a value, such as a bool flag).
type iniOption struct {
	Key, Value string
	HasValue   bool
}

// iniSection is what one --extra-opts locator named.
type iniSection struct {
	File, Name string
	Options    []iniOption
	Mode       fs.FileMode // the file's permission bits
}

// splitLocator splits "[section][@file]"; an empty section is the
// plugin's name, an empty file is the search path's first hit.
func splitLocator(locator, plugin string) (section, file string) {
	section, file, _ = strings.Cut(locator, "@")
	if section == "" {
		section = plugin
	}
	return section, file
}

// findIniFile is the first file of the search path that exists.
func findIniFile(getenv func(string) string) (string, error) {
	var candidates []string
	for _, dir := range strings.Split(getenv("NAGIOS_CONFIG_PATH"), ":") {
		if dir != "" {
			candidates = append(candidates, filepath.Join(dir, "plugins.ini"), filepath.Join(dir, "nagios-plugins.ini"))
		}
	}
	candidates = append(candidates, iniSearchPath...)
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("--extra-opts: no ini file found (looked for %s): name one with --extra-opts=SECTION@FILE", strings.Join(candidates, ", "))
}

// loadIniSection reads the section of file. A missing section is an
// error, as in parse_ini.c ("Invalid section"): options the operator meant
// to give must not silently vanish.
func loadIniSection(file, section string) (iniSection, error) {
	sec := iniSection{File: file, Name: section}
	f, err := regfile.Open(file)
	if err != nil {
		return sec, fmt.Errorf("--extra-opts: cannot read %s: %v", file, pathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return sec, fmt.Errorf("--extra-opts: %s: %v", file, err)
	}
	sec.Mode = st.Mode().Perm()
	if sec.Mode&0o002 != 0 {
		// Anyone could add --firewall-cmd or --config-dir to it.
		return sec, fmt.Errorf("--extra-opts: %s is writable by every user (mode %04o): chmod o-w %s", file, sec.Mode, file)
	}
	b, err := regfile.Read(file, iniMaxBytes)
	if err != nil {
		return sec, fmt.Errorf("--extra-opts: cannot read %s: %v", file, pathErr(err))
	}
	found := false
	current := ""
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			name, ok := strings.CutSuffix(line, "]")
			if !ok {
				return sec, fmt.Errorf("--extra-opts: %s:%d: a section header must end with ]", file, n+1)
			}
			current = strings.TrimSpace(name[1:])
			found = found || current == section
			continue
		case current == "":
			return sec, fmt.Errorf("--extra-opts: %s:%d: an option before the first [section]", file, n+1)
		case current != section:
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return sec, fmt.Errorf("--extra-opts: %s:%d: want key = value (key without the leading dashes)", file, n+1)
		}
		value = strings.TrimSpace(value)
		sec.Options = append(sec.Options, iniOption{Key: key, Value: value, HasValue: value != ""})
	}
	if !found {
		return sec, fmt.Errorf("--extra-opts: %s has no section [%s]", file, section)
	}
	return sec, nil
}

// pathErr drops the *fs.PathError layer: the messages name the file.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
