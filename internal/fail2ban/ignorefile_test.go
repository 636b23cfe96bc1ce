package fail2ban

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Expected values from Python's re on fail2ban 1.1.1's RE_FILE_IGN_IP.
func TestFileEntryPath(t *testing.T) {
	for in, want := range map[string]string{
		"file:/etc/x": "/etc/x", "file://etc/x": "/etc/x", "file:///etc/x": "/etc/x",
		"file:/a/b": "a/b", "file://a/b": "a/b", "file:a": "a", "file:/": "/",
		"file:////x": "//x", "file:/ab/c": "ab/c", "file:./x": "./x", "file:///": "/", "file:/abc": "/abc",
	} {
		if got, ok := fileEntryPath(in); !ok || got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
	if _, ok := fileEntryPath("files.example"); ok {
		t.Error("a name taken for a file: entry")
	}
}

// helpers.py splitwords(ignoreComments=True): "#" and ";" comments at a
// line's start or after a space; words split on spaces and commas.
func TestSplitWords(t *testing.T) {
	got := splitWords("# office\n203.0.113.7 ; home\n198.51.100.0/24,2001:db8::/32\na#b\n")
	want := []string{"203.0.113.7", "198.51.100.0/24", "2001:db8::/32", "a#b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// The reply of fail2ban 1.1.1's `get JAIL ignoreip` with a file: entry:
// pickled by upstream's own FileIPAddrSet (testdata/README.md). The entry
// arrives as the server prints it.
func TestDecodeFileSetReply(t *testing.T) {
	v, err := decodeReply(readReply(t, "ignoreip-fileset-upstream"))
	want := []any{"127.0.0.0/8", "file://tmp/f2bup/ips.txt", "::1"}
	if err != nil || !reflect.DeepEqual(v, want) {
		t.Fatalf("got %#v, %v; want %#v", v, err, want)
	}
	if e := ParseEntry("file://tmp/f2bup/ips.txt"); e.Kind != EntryFile || e.Path != "/tmp/f2bup/ips.txt" {
		t.Fatalf("%+v", e)
	}
}

func TestMatchFile(t *testing.T) {
	j := func(fs FileSet) JailState {
		return JailState{Name: "j", IgnoreIP: []string{"file:/etc/trusted"}, IgnoreFiles: map[string]FileSet{"/etc/trusted": fs}}
	}
	ip := netip.MustParseAddr("198.51.100.9")
	if c := Match(ip, j(FileSet{Entries: []string{"203.0.113.7", "198.51.100.0/24"}}), nil, nil); !c.Covered || !strings.Contains(c.By, "198.51.100.0/24 in /etc/trusted") {
		t.Errorf("listed network: %+v", c)
	}
	// a name in the file is never resolved (IPAddrSet holds it raw)
	if c := Match(ip, j(FileSet{Entries: []string{"office.example"}}), map[string]Resolution{"office.example": {Addrs: []netip.Addr{ip}}}, nil); c.Covered || len(c.Unjudged) != 0 {
		t.Errorf("name in the file: %+v", c)
	}
	if c := Match(ip, j(FileSet{Err: errors.New("permission denied")}), nil, nil); c.Covered || len(c.Unjudged) != 1 {
		t.Errorf("unreadable file: %+v", c)
	}
	if c := Match(ip, j(FileSet{NotAFile: "fail2ban 1.1.0 …"}), nil, nil); c.Covered || len(c.Unresolved) != 1 || len(c.Unjudged) != 0 {
		t.Errorf("old server: %+v", c)
	}
}
