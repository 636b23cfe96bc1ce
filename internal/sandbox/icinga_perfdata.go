package sandbox

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IcingaPerf is one perfdata value as Icinga 2 stores it and hands it to its
// graphing writers (Graphite, InfluxDB, Elasticsearch): the value and the
// thresholds multiplied into the unit's base (seconds, bytes), a threshold
// that is not a plain number dropped (nil), and a value that does not parse
// (such as "U") kept only as text (Err set), which the writers skip.
type IcingaPerf struct {
	Label                string
	Value                float64
	Unit                 string // "seconds", "percent", "bytes" or ""
	Counter              bool
	Warn, Crit, Min, Max *float64
	Raw                  string
	Err                  error
}

// IcingaPerfdata parses a plugin's whole output as Icinga 2 does
// (PluginUtility::ParseCheckOutput and SplitPerfdata, then
// PerfdataValue::Parse, lib/base/perfdatavalue.cpp at Icinga 2.14/2.15):
// every line's text after its first "|" is perfdata when an "=" follows.
func IcingaPerfdata(output string) []IcingaPerf {
	var perf []string
	for _, line := range strings.FieldsFunc(output, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if i := strings.IndexByte(line, '|'); i >= 0 && strings.Contains(line[i:], "=") {
			perf = append(perf, line[i+1:])
		}
	}
	var out []IcingaPerf
	for _, pdv := range splitPerfdata(strings.TrimSpace(strings.Join(perf, " "))) {
		out = append(out, parsePerfdataValue(pdv))
	}
	return out
}

// splitPerfdata is PluginUtility::SplitPerfdata without the "::" multi
// prefixes: label up to "=", value up to the next space.
func splitPerfdata(perf string) []string {
	var out []string
	for begin := 0; ; {
		eq := strings.IndexByte(perf[begin:], '=')
		if eq < 0 {
			return out
		}
		eq += begin
		label := strings.TrimLeft(perf[begin:eq], " \t")
		if len(label) > 2 && label[0] == '\'' && label[len(label)-1] == '\'' {
			label = label[1 : len(label)-1]
		}
		end := strings.IndexByte(perf[eq:], ' ')
		if end < 0 {
			end = len(perf)
		} else {
			end += eq
		}
		out = append(out, label+"="+perf[eq+1:end])
		begin = end + 1
		if begin >= len(perf) {
			return out
		}
	}
}

// icingaTimeUnits are Icinga 2's case-insensitive time units.
var icingaTimeUnits = map[string]float64{"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}

func parsePerfdataValue(pdv string) IcingaPerf {
	eq := strings.LastIndexByte(pdv, '=')
	p := IcingaPerf{Label: pdv[:eq], Raw: pdv}
	tokens := strings.Split(pdv[eq+1:], ";")
	if strings.Contains(pdv[eq+1:], ",") {
		p.Err = fmt.Errorf("invalid performance data value: %s", pdv)
		return p
	}
	// The value is everything up to and including the last digit or point.
	pos := strings.LastIndexAny(tokens[0], "0123456789.") + 1
	v, err := strconv.ParseFloat(tokens[0][:pos], 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		p.Err = fmt.Errorf("can't convert %q to a floating point number", tokens[0][:pos])
		if pos == 0 {
			p.Err = fmt.Errorf("can't convert %q to a floating point number", tokens[0])
		}
		return p
	}
	unit, base := tokens[0][pos:], 1.0
	switch {
	case unit == "c":
		p.Counter = true
	case unit == "%":
		p.Unit = "percent"
	case unit == "B":
		p.Unit = "bytes"
	case icingaTimeUnits[strings.ToLower(unit)] != 0:
		p.Unit, base = "seconds", icingaTimeUnits[strings.ToLower(unit)]
	}
	p.Value = v * base
	field := func(i int) *float64 {
		if i >= len(tokens) || tokens[i] == "" || tokens[i] == "U" || strings.Trim(tokens[i], "+-0123456789.eE") != "" {
			return nil
		}
		f, err := strconv.ParseFloat(tokens[i], 64)
		if err != nil {
			return nil
		}
		f *= base
		return &f
	}
	p.Warn, p.Crit, p.Min, p.Max = field(1), field(2), field(3), field(4)
	return p
}
