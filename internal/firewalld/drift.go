package firewalld

import "fmt"

// DriftItem is one difference between runtime and permanent.
type DriftItem struct {
	Kind        string // "service", "port", "rich rule", "target"
	Value       string
	RuntimeOnly bool // present in runtime only (lost at the next reload)
}

// Describe is the finding text.
func (d DriftItem) Describe() string {
	if d.Kind == "target" {
		return "zone target differs: " + d.Value
	}
	if d.RuntimeOnly {
		return fmt.Sprintf("%s %s is in runtime only: it disappears at the next reload", d.Kind, d.Value)
	}
	return fmt.Sprintf("%s %s is in permanent only: it appears at the next reload", d.Kind, d.Value)
}

// Short is the summary form: "port 8080/tcp (runtime only)".
func (d DriftItem) Short() string {
	switch {
	case d.Kind == "target":
		return "zone target (" + d.Value + ")"
	case d.RuntimeOnly:
		return d.Kind + " " + d.Value + " (runtime only)"
	}
	return d.Kind + " " + d.Value + " (permanent only)"
}

// Fix gives both ways out: keep it, or drop it.
func (d DriftItem) Fix(zone string) string {
	flag := map[string]string{"service": "service", "port": "port", "rich rule": "rich-rule"}[d.Kind]
	value := d.Value
	if d.Kind == "rich rule" {
		value = "'" + value + "'"
	}
	switch {
	case d.Kind == "target":
		return fmt.Sprintf("firewall-cmd --permanent --zone=%s --set-target=<wanted> && firewall-cmd --reload", zone)
	case d.RuntimeOnly:
		return fmt.Sprintf("to keep it: firewall-cmd --permanent --zone=%s --add-%s=%s; to drop it: firewall-cmd --zone=%s --remove-%s=%s",
			zone, flag, value, zone, flag, value)
	default:
		return fmt.Sprintf("to apply it: firewall-cmd --reload; to drop it: firewall-cmd --permanent --zone=%s --remove-%s=%s",
			zone, flag, value)
	}
}

// Diff lists what differs between the runtime and permanent zone, except
// runtime-only ban rules (Fail2ban's, runtime-only by design), which it
// counts separately.
func Diff(runtime, permanent Zone) (items []DriftItem, bans int) {
	if runtime.Target != permanent.Target {
		items = append(items, DriftItem{Kind: "target", Value: fmt.Sprintf("runtime %s, permanent %s", runtime.Target, permanent.Target)})
	}
	items = append(items, diffStrings("service", runtime.Services, permanent.Services)...)

	rtPorts, pmPorts := portStrings(runtime.Ports), portStrings(permanent.Ports)
	items = append(items, diffStrings("port", rtPorts, pmPorts)...)

	var rtRules, pmRules []string
	for _, r := range runtime.RichRules {
		rtRules = append(rtRules, r.Text)
	}
	for _, r := range permanent.RichRules {
		pmRules = append(pmRules, r.Text)
	}
	for _, item := range diffStrings("rich rule", rtRules, pmRules) {
		if item.RuntimeOnly && isBanRule(runtime.RichRules, item.Value) {
			bans++
			continue
		}
		items = append(items, item)
	}
	return items, bans
}

func isBanRule(rules []RichRule, text string) bool {
	for _, r := range rules {
		if r.Text == text {
			return r.looksLikeBan()
		}
	}
	return false
}

func portStrings(ports []Port) []string {
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = p.String()
	}
	return out
}

func diffStrings(kind string, runtime, permanent []string) []DriftItem {
	inRuntime, inPermanent := set(runtime), set(permanent)
	var items []DriftItem
	for _, s := range sortedCopy(runtime) {
		if !inPermanent[s] {
			items = append(items, DriftItem{Kind: kind, Value: s, RuntimeOnly: true})
		}
	}
	for _, s := range sortedCopy(permanent) {
		if !inRuntime[s] {
			items = append(items, DriftItem{Kind: kind, Value: s})
		}
	}
	return items
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}
