package fwconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/beevik/etree"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// lockdownPath is config.LOCKDOWN_WHITELIST of the admin's tree.
func lockdownPath(d Dirs) string { return filepath.Join(d.ConfigDir, "lockdown-whitelist.xml") }

var lockdownSpec = elementSpec{
	required: map[string][]string{"whitelist": nil, "command": {"name"}, "user": nil, "selinux": {"context"}},
	optional: map[string][]string{"user": {"id", "name"}},
}

// checkLockdown is the end of firewalld 1.3's check_on_disk_config
// (core/io/functions.py): when lockdown-whitelist.xml is a file, it is
// read (io/lockdown_whitelist.py LockdownWhitelist.read) and checked, and
// any error fails --check-config and the reload, lockdown enabled or not.
// firewalld 2.x removed lockdown and never reads the file.
func (c *Tree) checkLockdown(f remote.File) {
	if f.Err != nil {
		if errors.Is(f.Err, fs.ErrNotExist) || errors.Is(f.Err, remote.ErrNotRegular) {
			return // os.path.isfile is false: not checked
		}
		c.refuse(f.Path, fileProblem(f.Err))
		c.problems[len(c.problems)-1].Unverified = true
		return
	}
	wrap := func(msg string) string {
		// FirewallError(error.code, "'%s': %s" % (LOCKDOWN_WHITELIST, error.msg))
		code, rest, _ := strings.Cut(msg, ": ")
		return fmt.Sprintf("%s: '%s': %s", code, f.Path, rest)
	}
	root, err := expat.Parse(f.Data)
	if err != nil {
		c.refuse(f.Path, wrap("INVALID_TYPE: Not a valid file: "+strings.TrimPrefix(err.Error(), "malformed XML: ")))
		return
	}
	if msg := readLockdown(root); msg != "" {
		c.refuse(f.Path, wrap(msg))
	}
}

// readLockdown is lockdown_whitelist_ContentHandler.startElement with the
// add_* methods it calls: an element outside <whitelist> or a user id that
// is no integer is only logged; a bad or repeated entry raises.
func readLockdown(root *etree.Element) string {
	inWhitelist := false
	seen := map[string]bool{}
	add := func(kind, value string, ok bool, invalid string) string {
		switch {
		case !ok:
			return invalid + ": " + value
		case seen[kind+"\x00"+value]:
			return fmt.Sprintf(`ALREADY_ENABLED: %s "%s" already in whitelist`, kind, value)
		}
		seen[kind+"\x00"+value] = true
		return ""
	}
	start := func(el *etree.Element) string {
		if msg := lockdownSpec.check(el); msg != "" {
			return msg
		}
		get := func(k string) string { v, _ := attr(el, k); return v }
		switch {
		case el.Tag == "whitelist":
			if inWhitelist {
				return "PARSE_ERROR: More than one whitelist."
			}
			inWhitelist = true
		case !inWhitelist:
		case el.Tag == "command":
			return add("Command", get("name"), commandOK(get("name")), "INVALID_COMMAND")
		case el.Tag == "user":
			if id, has := attr(el, "id"); has {
				uid, ok := pyInt(id)
				if !ok {
					return "" // "Parse Error: … is not a valid uid", logged
				}
				return add("Uid", fmt.Sprint(uid), uid >= 0 && uid <= 1<<31-1, "INVALID_UID")
			}
			if name, has := attr(el, "name"); has {
				return add("User", name, userOK(name), "INVALID_USER")
			}
		case el.Tag == "selinux":
			return add("Context", get("context"), contextOK(get("context")), "INVALID_CONTEXT")
		}
		return ""
	}
	return saxWalk(root, start, func(*etree.Element) string { return "" })
}

// commandOK is functions.checkCommand.
func commandOK(s string) bool {
	n := len([]rune(s))
	return n >= 1 && n <= 1024 && !strings.ContainsAny(s, "|\n\x00") && s[0] == '/'
}

// userOK is functions.checkUser (SC_LOGIN_NAME_MAX is 256 on Linux).
func userOK(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_$", r)) {
			return false
		}
	}
	return true
}

// contextOK is functions.checkContext: user:role:type:level[:category].
func contextOK(s string) bool {
	f := strings.Split(s, ":")
	return (len(f) == 4 || len(f) == 5) && (f[0] == "root" || strings.HasSuffix(f[0], "_u")) &&
		strings.HasSuffix(f[1], "_r") && strings.HasSuffix(f[2], "_t") && f[3] != ""
}
