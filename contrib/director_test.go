package contrib

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// directorBasket is what the tests read of an Icinga Director basket
// (contrib/icinga/director-basket.json, imported with Director's
// Baskets > Upload, or `icingacli director basket restore < FILE`).
type directorBasket struct {
	Command map[string]struct {
		ObjectName     string `json:"object_name"`
		ObjectType     string `json:"object_type"`
		MethodsExecute string `json:"methods_execute"`
		Command        string `json:"command"`
		Timeout        int    `json:"timeout"`
		UUID           string `json:"uuid"`
		Arguments      map[string]struct {
			Value       string `json:"value"`
			SetIf       string `json:"set_if"`
			RepeatKey   bool   `json:"repeat_key"`
			Required    bool   `json:"required"`
			Description string `json:"description"`
		} `json:"arguments"`
		Vars   map[string]any `json:"vars"`
		Fields []struct {
			DatafieldID int    `json:"datafield_id"`
			IsRequired  string `json:"is_required"`
		} `json:"fields"`
	} `json:"Command"`
	Datafield map[string]struct {
		OriginalID string `json:"originalId"`
		UUID       string `json:"uuid"`
		Varname    string `json:"varname"`
		Caption    string `json:"caption"`
		Datatype   string `json:"datatype"`
	} `json:"Datafield"`
	ServiceTemplate map[string]struct {
		ObjectName   string `json:"object_name"`
		ObjectType   string `json:"object_type"`
		CheckCommand string `json:"check_command"`
		UseAgent     bool   `json:"use_agent"`
		UUID         string `json:"uuid"`
	} `json:"ServiceTemplate"`
}

const directorType = `Icinga\Module\Director\DataType\DataType`

// TestDirectorBasketMatchesCommands: the basket has the same commands as
// commands.conf, each running the same plugin with the same arguments
// (value, set_if, repeat_key), a data field of the right type (Boolean for
// a switch, Array for a repeatable flag, String else) for every custom
// variable an argument uses, the same defaults (timeout, services), a
// service template per plugin (the agent's two run on the agent), no
// password on the command line, and no unknown top-level object types.
func TestDirectorBasketMatchesCommands(t *testing.T) {
	raw := readFile(t, "icinga/director-basket.json")
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &top); err != nil {
		t.Fatalf("director-basket.json: %v", err)
	}
	for k := range top {
		if k != "Command" && k != "Datafield" && k != "ServiceTemplate" {
			t.Errorf("unexpected basket section %q", k)
		}
	}
	var b directorBasket
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatalf("director-basket.json: %v", err)
	}
	fieldsByID := map[int]string{} // datafield id -> datatype
	varField := map[string]int{}   // varname -> id
	uuids := map[string]bool{}
	for id, f := range b.Datafield {
		if f.OriginalID != id || f.Varname == "" || f.Caption == "" || !strings.HasPrefix(f.Datatype, directorType) {
			t.Errorf("data field %s: %+v", id, f)
		}
		var n int
		if err := json.Unmarshal([]byte(id), &n); err != nil {
			t.Errorf("data field id %q is not a number", id)
		}
		fieldsByID[n] = strings.TrimPrefix(f.Datatype, directorType)
		varField[f.Varname] = n
		uuids[f.UUID] = true
	}
	cmds := parseCommands(t, readFile(t, "icinga/commands.conf"))
	if len(b.Command) != len(cmds) {
		t.Errorf("basket has %d commands, commands.conf %d", len(b.Command), len(cmds))
	}
	for name, want := range cmds {
		got, ok := b.Command[name]
		if !ok {
			t.Errorf("basket lacks the command %s", name)
			continue
		}
		uuids[got.UUID] = true
		if got.ObjectName != name || got.ObjectType != "object" || got.MethodsExecute != "PluginCheck" || got.Command != "PluginDir + /"+want.binary {
			t.Errorf("%s: object_name %q, object_type %q, methods_execute %q, command %q; want PluginDir + /%s",
				name, got.ObjectName, got.ObjectType, got.MethodsExecute, got.Command, want.binary)
		}
		if got.Timeout != 30 {
			t.Errorf("%s: timeout %d, want commands.conf's 30 (above the plugin's -t)", name, got.Timeout)
		}
		var gotKeys, wantKeys []string
		for k := range got.Arguments {
			gotKeys = append(gotKeys, k)
		}
		for k := range want.args {
			wantKeys = append(wantKeys, k)
		}
		sort.Strings(gotKeys)
		sort.Strings(wantKeys)
		if strings.Join(gotKeys, " ") != strings.Join(wantKeys, " ") {
			t.Errorf("%s: basket arguments\n%v\ncommands.conf\n%v", name, gotKeys, wantKeys)
		}
		inFields := map[int]bool{}
		for _, f := range got.Fields {
			inFields[f.DatafieldID] = true
		}
		for key, w := range want.args {
			g := got.Arguments[key]
			if g.Value != w.value || g.SetIf != w.setIf || g.RepeatKey != w.repeatKey {
				t.Errorf("%s %s: basket value %q set_if %q repeat_key %v; commands.conf %q %q %v", name, key, g.Value, g.SetIf, g.RepeatKey, w.value, w.setIf, w.repeatKey)
			}
			if g.Description == "" {
				t.Errorf("%s %s: no description", name, key)
			}
			if strings.Contains(g.Value, "password$") {
				t.Errorf("%s %s puts a password on the command line", name, key)
			}
			for _, m := range reMacro.FindAllStringSubmatch(w.value+w.setIf, -1) {
				id, ok := varField[m[1]]
				wantType := "String"
				switch {
				case w.setIf != "":
					wantType = "Boolean"
				case w.repeatKey:
					wantType = "Array"
				}
				switch {
				case !ok:
					t.Errorf("%s %s: no data field for $%s$", name, key, m[1])
				case !inFields[id]:
					t.Errorf("%s %s: data field %s (%d) is not among the command's fields", name, key, m[1], id)
				case fieldsByID[id] != wantType:
					t.Errorf("%s %s: data field %s is %s, want %s", name, key, m[1], fieldsByID[id], wantType)
				}
			}
		}
		for v, def := range want.vars {
			if !strings.HasPrefix(v, icingaNames["check_"+name].prefix) || v == "imaps_tls_host" || v == "smtp_tls_host" {
				continue // the ITL's check_address wiring; the basket uses $address$
			}
			enc, _ := json.Marshal(got.Vars[v])
			if norm := strings.ReplaceAll(strings.ReplaceAll(def, " ", ""), ",", ","); string(enc) != norm {
				t.Errorf("%s: vars.%s = %s in the basket, %s in commands.conf", name, v, enc, def)
			}
		}
	}
	templates := map[string]bool{}
	for tname, tpl := range b.ServiceTemplate {
		uuids[tpl.UUID] = true
		if tpl.ObjectName != tname || tpl.ObjectType != "template" || b.Command[tpl.CheckCommand].ObjectName == "" {
			t.Errorf("service template %s: %+v", tname, tpl)
		}
		if onAgent := tpl.CheckCommand != "imaps_tls" && tpl.CheckCommand != "smtp_tls"; tpl.UseAgent != onAgent {
			t.Errorf("service template %s: use_agent %v, want %v (firewalld and fail2ban are seen from the mail host only; IMAPS and SMTP from outside)", tname, tpl.UseAgent, onAgent)
		}
		templates[tpl.CheckCommand] = true
	}
	for name := range cmds {
		if !templates[name] {
			t.Errorf("no service template runs %s", name)
		}
	}
	if n := len(b.Datafield) + len(b.Command) + len(b.ServiceTemplate); len(uuids) != n || uuids[""] {
		t.Errorf("%d objects, %d distinct uuids (each object needs its own)", n, len(uuids))
	}
}
