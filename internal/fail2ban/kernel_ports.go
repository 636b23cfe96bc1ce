package fail2ban

import (
	"slices"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// kernelPlan is which ports the kernel's verdict is asked on, and for
// which jails each port is asked (the jails whose actions ban on it).
type kernelPlan struct {
	Ports []uint16
	Jails map[uint16][]string // nil with --kernel-port: no jail named
}

// planKernelPorts: --kernel-port overrides; otherwise every readable
// jail's own ports (its actions' `port`), the default mail list for a jail
// whose ports were not read (said in a detail line: never OK on a port not
// asked that the jail bans), and the default list when no jail is judged.
func planKernelPorts(r *plugin.Result, explicit []uint16, jails []JailState) kernelPlan {
	if len(explicit) > 0 {
		return kernelPlan{Ports: explicit}
	}
	plan := kernelPlan{Jails: map[uint16][]string{}}
	add := func(jail string, ports []uint16) {
		for _, p := range ports {
			if _, ok := plan.Jails[p]; !ok {
				plan.Ports = append(plan.Ports, p)
			}
			if !slices.Contains(plan.Jails[p], jail) {
				plan.Jails[p] = append(plan.Jails[p], jail)
			}
		}
	}
	for _, j := range jails {
		if j.Err != nil {
			continue
		}
		set := j.Ports
		if set.Note != "" {
			r.Detailf("kernel: jail %s's ports %q: %s", j.Name, strings.Join(j.BanPorts, ","), set.Note)
		}
		if len(set.Ports) == 0 {
			why := j.PortsNote
			if why == "" {
				why = "none understood"
			}
			r.Detailf("kernel: jail %s's ports were not read (%s): judged on the default mail ports %s", j.Name, why, portList(DefaultKernelPorts))
			set.Ports = DefaultKernelPorts
		}
		add(j.Name, set.Ports)
	}
	if len(plan.Ports) == 0 {
		return kernelPlan{Ports: DefaultKernelPorts}
	}
	return plan
}

// portsOfJails words ports with the jails that ban on them:
// "2525/tcp (jail postfix-custom)",
// "993/tcp, 143/tcp (jail dovecot)", "25/tcp (jails postfix, sasl)".
func (p kernelPlan) portsOfJails(ports []uint16) string {
	s := portList(ports)
	if p.Jails == nil {
		return s
	}
	var names []string
	for _, port := range ports {
		for _, j := range p.Jails[port] {
			if !slices.Contains(names, j) {
				names = append(names, j)
			}
		}
	}
	if len(names) == 1 {
		return s + " (jail " + names[0] + ")"
	}
	return s + " (jails " + strings.Join(names, ", ") + ")"
}
