package contrib

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// icingaAPI is a client of one node's REST API as one ApiUser, verifying the
// node's certificate against the cluster CA (issued for its NodeName).
type icingaAPI struct {
	node       *sandbox.IcingaNode
	user, pass string
	client     *http.Client
}

func newIcingaAPI(t *testing.T, node *sandbox.IcingaNode, user, pass string) *icingaAPI {
	t.Helper()
	pem, err := os.ReadFile(node.CACertPath())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", node.CACertPath())
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: node.Name}}
	return &icingaAPI{node: node, user: user, pass: pass, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// call sends one request and returns the status and body.
func (a *icingaAPI) call(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.node.URL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(a.user, a.pass)
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v\n%s", method, path, a.user, err, a.node.Log())
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// checkResult is a service's last check result as the master stores it.
type checkResult struct {
	State       float64 `json:"state"`
	Output      string  `json:"output"`
	Perfdata    []any   `json:"performance_data"` // plugin: strings; built-in checks: objects
	CheckSource string  `json:"check_source"`     // the endpoint that ran it
	End         float64 `json:"execution_end"`
}

// services reads every service's last check result (GET /v1/objects/services).
func (a *icingaAPI) services(t *testing.T) map[string]*checkResult {
	t.Helper()
	code, body := a.call(t, http.MethodGet, "/v1/objects/services?attrs=last_check_result", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/objects/services as %s: %d %s", a.user, code, body)
	}
	var reply struct {
		Results []struct {
			Name  string `json:"name"`
			Attrs struct {
				LastCheckResult *checkResult `json:"last_check_result"`
			} `json:"attrs"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		t.Fatalf("services: %v: %s", err, body)
	}
	out := map[string]*checkResult{}
	for _, r := range reply.Results {
		if r.Attrs.LastCheckResult != nil {
			_, name, _ := strings.Cut(r.Name, "!")
			out[name] = r.Attrs.LastCheckResult
		}
	}
	return out
}

// reschedule asks for an immediate check of the named services
// (POST /v1/actions/reschedule-check) and returns the HTTP status.
func (a *icingaAPI) reschedule(t *testing.T, host string, services []string) (int, string) {
	t.Helper()
	quoted := make([]string, len(services))
	for i, s := range services {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	code, body := a.call(t, http.MethodPost, "/v1/actions/reschedule-check", map[string]any{
		"type":   "Service",
		"filter": fmt.Sprintf("host.name == %q && service.name in [ %s ]", host, strings.Join(quoted, ", ")),
		"force":  true,
	})
	return code, string(body)
}

// want is what one service's result must show.
type want struct {
	state  int
	output string // substring of the output
	source string // endpoint that ran the check
	labels string // plugin whose perfdata labels (its docs/ page) the result carries
}

func (w want) met(cr *checkResult, since float64, readme map[string][]string) bool {
	if cr == nil || cr.End < since || cr.State != float64(w.state) || !strings.Contains(cr.Output, w.output) ||
		(w.source != "" && cr.CheckSource != w.source) {
		return false
	}
	return w.labels == "" || len(missingLabels(cr, readme[w.labels])) == 0
}

// awaitResults reschedules the services that do not yet show what they
// should (at most every 2 s each, since a check scheduled while the agent
// was reloading its synced config is answered later) and polls the master
// until all do or the bound passes. Only results newer than since count.
func awaitResults(t *testing.T, reader, actor *icingaAPI, host string, wants map[string]want, since float64, bound time.Duration, readme map[string][]string) map[string]*checkResult {
	t.Helper()
	begin := time.Now()
	deadline := begin.Add(bound)
	var last time.Time
	reschedules := 0
	for {
		results := reader.services(t)
		var pending []string
		for _, name := range sortedKeys(wants) {
			if !wants[name].met(results[name], since, readme) {
				pending = append(pending, name)
			}
		}
		if len(pending) == 0 {
			t.Logf("%d services as expected after %s (%d reschedule requests)", len(wants), time.Since(begin).Round(time.Millisecond), reschedules)
			return results
		}
		if time.Now().After(deadline) {
			for _, name := range pending {
				t.Errorf("service %s after %s: %+v, want %+v", name, bound, results[name], wants[name])
			}
			t.FailNow()
		}
		if time.Since(last) > 2*time.Second {
			if code, body := actor.reschedule(t, host, pending); code != http.StatusOK {
				t.Fatalf("reschedule-check as %s: %d %s", actor.user, code, body)
			}
			last = time.Now()
			reschedules++
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readmePerfdataLabels reads, for each plugin's page (docs/PLUGIN.md, its
// "## Perfdata" section, moved there from the README), the labels its
// perfdata table documents (first column, in backticks). A row
// that names several labels (`open_runtime_ipv4`, `open_runtime_ipv6`:
// one per family judged) documents variants that depend on the host, so
// only rows of one label count as always present.
func readmePerfdataLabels(t *testing.T) map[string][]string {
	t.Helper()
	labels := map[string][]string{}
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	for _, p := range plugins {
		page := "../docs/" + p + ".md"
		_, section, ok := strings.Cut(readFile(t, page), "\n## Perfdata\n")
		if !ok {
			t.Fatalf("%s has no section ## Perfdata", page)
		}
		section, _, _ = strings.Cut(section, "\n## ")
		inTable := false
		for _, line := range strings.Split(section, "\n") {
			switch {
			case strings.HasPrefix(line, "| label |") || strings.HasPrefix(line, "| perfdata label |"):
				inTable = true
			case !strings.HasPrefix(line, "|"):
				inTable = false
			case inTable:
				if m := row.FindStringSubmatch(line); m != nil {
					labels[p] = append(labels[p], m[1])
				}
			}
		}
		if len(labels[p]) == 0 {
			t.Fatalf("%s: section ## Perfdata documents no perfdata labels", p)
		}
	}
	return labels
}

// missingLabels are the documented labels a result's perfdata lacks.
func missingLabels(cr *checkResult, documented []string) []string {
	have := map[string]bool{}
	for _, p := range cr.Perfdata {
		switch v := p.(type) {
		case string:
			label, _, _ := strings.Cut(v, "=")
			have[strings.Trim(label, "'")] = true
		case map[string]any:
			have[fmt.Sprint(v["label"])] = true
		}
	}
	var missing []string
	for _, l := range documented {
		if !have[l] {
			missing = append(missing, l)
		}
	}
	sort.Strings(missing)
	return missing
}
