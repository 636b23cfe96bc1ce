package netfilter

import (
	"encoding/json"
	"fmt"
	"strings"
)

// RenderRule writes a rule's expressions in nft's own syntax, as
// `nft list ruleset` shows them, for the expressions real rulesets use; any
// other expression is shown as its JSON. Bounded: a rule's text is capped.
func RenderRule(exprs []any) string {
	parts := make([]string, 0, len(exprs))
	for _, e := range exprs {
		parts = append(parts, renderExpr(e))
	}
	s := strings.Join(parts, " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}

func renderExpr(e any) string {
	m, ok := e.(map[string]any)
	if !ok || len(m) != 1 {
		return renderValue(e)
	}
	for k, v := range m {
		switch k {
		case "match":
			mm, _ := v.(map[string]any)
			op := str(mm["op"])
			if op == "==" || op == "in" {
				op = ""
			} else {
				op += " "
			}
			return renderValue(mm["left"]) + " " + op + renderValue(mm["right"])
		case "accept", "drop", "continue", "return", "notrack":
			return k
		case "jump", "goto":
			t, _ := v.(map[string]any)
			return k + " " + str(t["target"])
		case "reject":
			r, _ := v.(map[string]any)
			if t := str(r["type"]); t != "" {
				if ex := str(r["expr"]); ex != "" {
					return "reject with " + t + " " + ex
				}
				return "reject with " + t
			}
			return "reject"
		case "counter", "log", "limit":
			return k
		case "vmap":
			vm, _ := v.(map[string]any)
			return renderValue(vm["key"]) + " vmap " + renderValue(vm["data"])
		case "xt":
			x, _ := v.(map[string]any)
			return "xt " + str(x["type"]) + " " + str(x["name"])
		}
	}
	return renderValue(e)
}

func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if strings.ContainsAny(x, " \"") || x == "" {
			return fmt.Sprintf("%q", x)
		}
		return x
	case float64:
		return str(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, renderValue(e))
		}
		return strings.Join(parts, ",")
	case map[string]any:
		if len(x) == 1 {
			return renderObject(x)
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func renderObject(x map[string]any) string {
	for k, v := range x {
		o, _ := v.(map[string]any)
		switch k {
		case "payload":
			if o["protocol"] != nil {
				return str(o["protocol"]) + " " + str(o["field"])
			}
		case "meta":
			return "meta " + str(o["key"])
		case "ct":
			if o["dir"] != nil {
				return "ct " + str(o["dir"]) + " " + str(o["key"])
			}
			return "ct " + str(o["key"])
		case "fib":
			return "fib " + strings.Join(strs(o["flags"]), " . ") + " " + str(o["result"])
		case "prefix":
			return str(o["addr"]) + "/" + str(o["len"])
		case "range":
			r, _ := v.([]any)
			if len(r) == 2 {
				return renderValue(r[0]) + "-" + renderValue(r[1])
			}
		case "set":
			list, _ := v.([]any)
			parts := make([]string, 0, len(list))
			for _, e := range list {
				if pair, ok := e.([]any); ok && len(pair) == 2 {
					parts = append(parts, renderValue(pair[0])+" : "+renderExpr(pair[1]))
					continue
				}
				parts = append(parts, renderValue(e))
			}
			return "{ " + strings.Join(parts, ", ") + " }"
		case "concat":
			list, _ := v.([]any)
			parts := make([]string, 0, len(list))
			for _, e := range list {
				parts = append(parts, renderValue(e))
			}
			return strings.Join(parts, " . ")
		case "&":
			list, _ := v.([]any)
			if len(list) == 2 {
				return renderValue(list[0]) + " & (" + strings.ReplaceAll(renderValue(list[1]), ",", "|") + ")"
			}
		}
	}
	b, _ := json.Marshal(x)
	return string(b)
}
