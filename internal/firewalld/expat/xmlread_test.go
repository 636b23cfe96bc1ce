package expat

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func utf16Bytes(s string, bom, bigEndian bool) []byte {
	var b []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

// xmlCase is one document; want is the value of the first <service name>
// (or of the root's "target") when expat accepts it, "" when it refuses it.
type xmlCase struct {
	name string
	data []byte
	want string
}

const okZone = `<zone><service name="imaps"/></zone>`

var xmlCases = []xmlCase{
	{"plain", []byte(okZone), "imaps"},
	{"trailing newline", []byte(okZone + "\n\n"), "imaps"},
	{"comment after root", []byte(okZone + "\n<!-- edited by hand -->\n"), "imaps"},
	{"PI after root", []byte(okZone + "<?foo bar?>\n"), "imaps"},
	{"comment and PI before root", []byte("<?xml version=\"1.0\"?>\n<!-- c --><?pi x?>\n" + okZone), "imaps"},
	{"UTF-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, okZone...), "imaps"},
	{"UTF-8 BOM with latin-1 declaration", append([]byte{0xEF, 0xBB, 0xBF}, `<?xml version="1.0" encoding="ISO-8859-1"?>`+okZone...), "imaps"},
	{"latin-1 declared", []byte("<?xml version='1.0' encoding='latin1' ?><zone><short>\xe9</short><service name=\"imaps\"/></zone>"), "imaps"},
	{"ISO-8859-1 declared", []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><zone><service name=\"imaps\xe9\"/></zone>"), "imapsé"},
	{"windows-1252 declared", []byte("<?xml version=\"1.0\" encoding=\"windows-1252\"?><zone><service name=\"\x80\"/></zone>"), "€"},
	{"windows-1252 undefined byte", []byte("<?xml version=\"1.0\" encoding=\"cp1252\"?><zone><service name=\"\x81\"/></zone>"), ""},
	{"ISO-8859-15 declared", []byte("<?xml version=\"1.0\" encoding=\"iso-8859-15\"?><zone><service name=\"\xa4\"/></zone>"), "€"},
	{"US-ASCII with a high byte", []byte("<?xml version=\"1.0\" encoding=\"us-ascii\"?><zone><service name=\"\xe9\"/></zone>"), ""},
	{"utf8 alias with non-ASCII", []byte("<?xml version=\"1.0\" encoding=\"utf8\"?><zone><service name=\"é\"/></zone>"), ""},
	{"latin-1 bytes undeclared", []byte("<zone><service name=\"\xe9\"/></zone>"), ""},
	{"UTF-16LE BOM", utf16Bytes(`<?xml version="1.0" encoding="UTF-16"?>`+okZone, true, false), "imaps"},
	{"UTF-16BE BOM", utf16Bytes(okZone, true, true), "imaps"},
	{"UTF-16LE no BOM", utf16Bytes(`<?xml version="1.0" encoding="UTF-16"?><zone><service name="é"/></zone>`, false, false), "é"},
	{"UTF-16 declared in a UTF-8 file", []byte(`<?xml version="1.0" encoding="UTF-16"?>` + okZone), ""},
	{"UTF-8 declared in a UTF-16 file", utf16Bytes(`<?xml version="1.0" encoding="UTF-8"?>`+okZone, true, false), ""},
	{"unknown encoding", []byte(`<?xml version="1.0" encoding="bogus"?>` + okZone), ""},
	{"version 1.1", []byte(`<?xml version="1.1"?>` + okZone), "imaps"},
	{"declaration without version", []byte(`<?xml encoding="UTF-8"?>` + okZone), ""},
	{"declaration after whitespace", []byte(" <?xml version=\"1.0\"?>" + okZone), ""},
	{"declaration inside", []byte(`<zone><?xml version="1.0"?></zone>`), ""},
	{"internal entity in attribute", []byte(`<!DOCTYPE zone [<!ENTITY s "imaps">]><zone><service name="&s;"/></zone>`), "imaps"},
	{"nested entities", []byte(`<!DOCTYPE zone [<!ENTITY a "im"><!ENTITY s "&a;aps">]><zone><service name="&s;"/></zone>`), "imaps"},
	{"entity with markup", []byte(`<!DOCTYPE zone [<!ENTITY s '<service name="imaps"/>'>]><zone>&s;</zone>`), "imaps"},
	{"entity with a quote in attribute", []byte(`<!DOCTYPE zone [<!ENTITY q '"'>]><zone><service name="&q;"/></zone>`), `"`},
	{"entity from a parameter entity", []byte(`<!DOCTYPE zone [<!ENTITY % p "<!ENTITY s 'imaps'>"> %p; ]><zone><service name="&s;"/></zone>`), "imaps"},
	{"first entity declaration binds", []byte(`<!DOCTYPE zone [<!ENTITY s "imaps"><!ENTITY s "smtp">]><zone><service name="&s;"/></zone>`), "imaps"},
	{"ATTLIST default", []byte(`<!DOCTYPE zone [<!ATTLIST zone target CDATA "DROP">]><zone/>`), "DROP"},
	{"external entity in content", []byte(`<!DOCTYPE zone [<!ENTITY x SYSTEM "/etc/passwd">]><zone><service name="imaps"/>&x;</zone>`), "imaps"},
	{"external entity in attribute", []byte(`<!DOCTYPE zone [<!ENTITY x SYSTEM "/etc/passwd">]><zone><service name="&x;"/></zone>`), ""},
	{"undeclared entity", []byte(`<zone><service name="&s;"/></zone>`), ""},
	{"undeclared entity with external subset", []byte(`<!DOCTYPE zone SYSTEM "zone.dtd"><zone><service name="imaps"/>&s;</zone>`), "imaps"},
	{"recursive entities", []byte(`<!DOCTYPE z [<!ENTITY a "&b;"><!ENTITY b "&a;">]><zone>&a;</zone>`), ""},
	{"unbalanced entity", []byte(`<!DOCTYPE z [<!ENTITY a "<x>">]><zone>&a;</x></zone>`), ""},
	{"entity yields '<' in attribute", []byte(`<!DOCTYPE z [<!ENTITY q "&#60;">]><zone><service name="&q;"/></zone>`), ""},
	{"double-escaped '<'", []byte(`<!DOCTYPE z [<!ENTITY q "&#38;#60;">]><zone><service name="&q;"/></zone>`), "<"},
	{"DOCTYPE after root", []byte(okZone + `<!DOCTYPE zone>`), ""},
	{"second root", []byte(okZone + okZone), ""},
	{"text after root", []byte(okZone + "x"), ""},
	{"text before root", []byte("x" + okZone), ""},
	{"empty", nil, ""},
	{"whitespace only", []byte(" \n"), ""},
	{"comment only", []byte("<!-- nothing -->"), ""},
	{"unclosed", []byte(`<zone><service name="imaps"/>`), ""},
	{"mismatched", []byte(`<zone><service name="imaps"></zone></service>`), ""},
	{"duplicate attribute", []byte(`<zone><service name="imaps" name="smtp"/></zone>`), ""},
	{"'<' in attribute", []byte(`<zone><service name="<"/></zone>`), ""},
	{"bare ampersand", []byte(`<zone><service name="a&b"/></zone>`), ""},
	{"NUL byte", []byte("<zone><service name=\"imaps\"/>\x00</zone>"), ""},
	{"invalid character reference", []byte(`<zone><service name="&#1;"/></zone>`), ""},
	{"double dash in comment", []byte(`<zone><!-- a -- b --><service name="imaps"/></zone>`), ""},
	{"CDATA", []byte(`<zone><short><![CDATA[x<y]]></short><service name="imaps"/></zone>`), "imaps"},
	{"prefixed element stays prefixed", []byte(`<zone><a:service name="x"/><service name="imaps"/></zone>`), "imaps"},
	{"CRLF line ends", []byte("<?xml version=\"1.0\"?>\r\n<zone>\r\n<service name=\"imaps\"/>\r\n</zone>\r\n"), "imaps"},
}

func xmlVerdict(root interface {
	SelectAttrValue(string, string) string
}, first string) string {
	if first != "" {
		return first
	}
	return root.SelectAttrValue("target", "")
}

func TestParseConfigXMLCases(t *testing.T) {
	for _, c := range xmlCases {
		root, err := parseConfigXML("/etc/firewalld/zones/x.xml", c.data)
		got := ""
		if err == nil {
			svc := root.SelectElement("service")
			name := ""
			if svc != nil {
				name = svc.SelectAttrValue("name", "")
			}
			got = xmlVerdict(root, name)
		}
		if got != c.want {
			t.Errorf("%s: got %q (err %v), want %q", c.name, got, err, c.want)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "/etc/firewalld/zones/x.xml: ") || strings.Contains(err.Error(), "\n")) {
			t.Errorf("%s: error %q does not name the file in one line", c.name, err)
		}
	}
}

// saxScript reads JSON [name, base64 data] pairs and prints, per case, what
// firewalld's own reader setup (sax.make_parser, as zone_reader) produced.
const saxScript = `
import sys, json, base64, io, xml.sax as sax
class H(sax.handler.ContentHandler):
    def __init__(self): self.first = None; self.root = None
    def startElement(self, n, a):
        if self.root is None: self.root = dict(a.items())
        if n == "service" and self.first is None: self.first = a.get("name", "")
out = {}
for name, data in json.load(sys.stdin):
    h = H(); p = sax.make_parser(); p.setContentHandler(h)
    s = sax.InputSource(None); s.setByteStream(io.BytesIO(base64.b64decode(data)))
    try:
        p.parse(s)
        out[name] = h.first if h.first is not None else h.root.get("target", "")
    except Exception:
        out[name] = ""
json.dump(out, sys.stdout)
`

// TestParseConfigXMLAgreesWithExpat runs every case through Python's
// xml.sax (the parser firewalld uses) and asserts the table says the same.
func TestParseConfigXMLAgreesWithExpat(t *testing.T) {
	var in [][2]any
	for _, c := range xmlCases {
		in = append(in, [2]any{c.name, append([]byte{}, c.data...)})
	}
	stdin, _ := json.Marshal(in)
	cmd := exec.Command("/usr/bin/python3", "-c", saxScript)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("/usr/bin/python3 (Debian package python3, a firewalld dependency: apt-get install -y firewalld): %v: %s", err, stderr.String())
	}
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for _, c := range xmlCases {
		if got[c.name] != c.want {
			t.Errorf("%s: expat says %q, the table %q", c.name, got[c.name], c.want)
		}
	}
}

func TestParseConfigXMLRefusesHugeInputQuickly(t *testing.T) {
	big := bytes.Repeat([]byte("<!-- padding -->"), 50<<20/16)
	start := time.Now()
	_, err := parseConfigXML("/etc/firewalld/zones/big.xml", big)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("50 MB file: %v", err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("refusing a 50 MB file took %v", d)
	}
	laughs := `<!DOCTYPE z [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">`
	for i, prev := 0, "a"; i < 6; i++ {
		next := string(rune('b' + i))
		laughs += `<!ENTITY ` + next + ` "` + strings.Repeat("&"+prev+";", 10) + `">`
		prev = next
	}
	laughs += `]><zone>&g;</zone>`
	start = time.Now()
	if _, err := parseConfigXML("z.xml", []byte(laughs)); err == nil || !strings.Contains(err.Error(), "8 MiB") {
		t.Errorf("entity bomb: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing an entity bomb took %v", d)
	}
}

func BenchmarkParseConfigXML(b *testing.B) {
	data := []byte(`<?xml version="1.0" encoding="utf-8"?>
<zone><short>Public</short><description>For use in public areas.</description>
<service name="ssh"/><service name="imaps"/><port port="587" protocol="tcp"/>
<rule family="ipv4" priority="-10"><source address="192.0.2.0/24"/><service name="imaps"/><log prefix="imaps " level="info"/><reject/></rule>
</zone>
<!-- edited -->
`)
	for i := 0; i < b.N; i++ {
		if _, err := parseConfigXML("z.xml", data); err != nil {
			b.Fatal(err)
		}
	}
}
