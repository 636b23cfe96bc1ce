package fail2ban

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// BanCause is when and why a jail banned a target, as fail2ban recorded it:
// its database's ban record, or its log's Found/Ban lines.
type BanCause struct {
	Jail, IP  string
	From      string    // "database PATH" or "log PATH"
	Start     time.Time // the ban's start (timeofban; the Ban line's time)
	End       time.Time // timeofban + bantime from the database; zero when not known
	Permanent bool      // the database's bantime is -1
	Failures  int       // failures that led to the ban; 0 when not recorded
	Matches   []string  // the last failure lines (at most maxCauseLines, each cut to maxCauseLine bytes)
	Truncated bool      // fail2ban recorded more lines than Matches holds
}

const (
	maxCauseLines = 5
	maxCauseLine  = 300
	// maxLogTail bounds the log read per file (the log and its last
	// rotation): the runbook's grep, on the part of the log that can hold
	// the current ban's lines on a busy host, not the whole history.
	maxLogTail = 512 << 10
)

// causeKey names one (jail, IP) pair in Facts.Causes.
func causeKey(jail, ip string) string { return jail + "\x00" + ip }

// dbScript reads the latest ban record of each (jail, ip) argument pair
// from fail2ban's database, read-only, with the interpreter and sqlite
// module fail2ban itself runs on (the mail host has them wherever fail2ban
// runs; no sqlite3 CLI or Go driver needed, and it works through SSH as
// locally). Schema: database.py Fail2BanDb._CREATE_SCRIPTS "bans" (same in
// 1.0.2 and 1.1.0); data is the ticket's JSON: "failures", "matches" (each
// a line, or the pieces of one as ticket.py getMatches joins them).
const dbScript = `import json, os, pathlib, sqlite3, sys
path = sys.argv[1]
try:
    open(path, "rb").close()
    db = sqlite3.connect(pathlib.Path(path).absolute().as_uri() + "?mode=ro", uri=True, timeout=2)
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, getattr(e, "strerror", None) or e)}))
    sys.exit(0)
args = sys.argv[2:]
for jail, ip in zip(args[0::2], args[1::2]):
    out = {"jail": jail, "ip": ip}
    try:
        row = db.execute("SELECT timeofban, bantime, bancount, data FROM bans WHERE jail=? AND ip=? ORDER BY timeofban DESC LIMIT 1", (jail, ip)).fetchone()
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
        row = None
    if row:
        try:
            data = json.loads(row[3] or "{}")
        except Exception:
            data = {}
        if not isinstance(data, dict):
            data = {}
        m = data.get("matches") or []
        m = ["".join(x) if isinstance(x, (list, tuple)) else str(x) for x in m]
        out.update(timeofban=row[0], bantime=row[1], failures=data.get("failures") or 0, nmatches=len(m),
                   matches=[x[:` + "300" + `] for x in m[-` + "5" + `:]])
    print(json.dumps(out))
`

// lastMatches keeps the bounds dbScript applies (its 5 and 300 are
// maxCauseLines and maxCauseLine) whatever the mail host's script printed:
// over SSH the output comes from a host the check does not trust.
func lastMatches(m []string) []string {
	if len(m) > maxCauseLines {
		m = m[len(m)-maxCauseLines:]
	}
	out := make([]string, len(m))
	for i, line := range m {
		if len(line) > maxCauseLine {
			line = line[:maxCauseLine]
		}
		out[i] = line
	}
	return out
}

// dbRecord is one line of dbScript's output.
type dbRecord struct {
	Error     string   `json:"error"`
	Jail      string   `json:"jail"`
	IP        string   `json:"ip"`
	TimeOfBan *int64   `json:"timeofban"`
	BanTime   *int64   `json:"bantime"`
	Failures  int      `json:"failures"`
	NMatches  int      `json:"nmatches"`
	Matches   []string `json:"matches"`
}

// gatherCauses finds the cause of each ban of a target: first in the
// database, then, for what it did not hold, in the log. It returns the
// causes found and, when some ban has none, one line saying why; when the
// log stood in for the database, skipped says why (for -v).
func gatherCauses(ctx context.Context, host remote.Host, info ServerInfo, jails []JailState) (causes map[string]BanCause, note, skipped string) {
	type pair struct{ jail, ip string }
	var want []pair
	for _, j := range jails {
		for _, b := range j.Bans {
			want = append(want, pair{j.Name, b.ID})
		}
	}
	if len(want) == 0 {
		return nil, "", ""
	}
	causes = map[string]BanCause{}
	var why []string
	if isPath(info.DBFile) {
		// One line: the SSH seam refuses arguments with line breaks (a csh
		// login shell would end the command there), so the script travels
		// as a Python string literal (Go's quoting of ASCII is Python's).
		args := []string{"/usr/bin/python3", "-c", "exec(" + strconv.Quote(dbScript) + ")", info.DBFile}
		for _, p := range want {
			args = append(args, p.jail, p.ip)
		}
		found, err := readDB(ctx, host, info.DBFile, args)
		for k, c := range found {
			causes[k] = c
		}
		if err != nil {
			why = append(why, err.Error())
		}
	} else {
		why = append(why, "fail2ban keeps no ban records on disk (dbfile "+orDisabled(info.DBFile)+")")
	}
	var missing []pair
	for _, p := range want {
		if _, ok := causes[causeKey(p.jail, p.ip)]; !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return causes, "", ""
	}
	if !isPath(info.LogTarget) {
		why = append(why, "its log goes to "+orDisabled(info.LogTarget)+", not a file")
		return causes, "ban cause not shown: " + strings.Join(why, "; "), ""
	}
	text, err := readLogTail(ctx, host, info.LogTarget)
	if err != nil {
		why = append(why, err.Error())
		return causes, "ban cause not shown: " + strings.Join(why, "; "), ""
	}
	var notInLog []string
	for _, p := range missing {
		if c, ok := causeFromLog(text, p.jail, p.ip); ok {
			c.From = "log " + info.LogTarget
			causes[causeKey(p.jail, p.ip)] = c
		} else {
			notInLog = append(notInLog, p.ip+" in "+p.jail)
		}
	}
	if len(notInLog) > 0 {
		why = append(why, fmt.Sprintf("the last %d KiB of %s and its last rotation hold no Ban line for %s", maxLogTail>>10, info.LogTarget, strings.Join(notInLog, ", ")))
		return causes, "ban cause not shown: " + strings.Join(why, "; "), ""
	}
	if len(why) == 0 {
		why = append(why, "the database holds no record of the ban (yet: fail2ban writes it just after)")
	}
	return causes, "", "ban cause from the log: " + strings.Join(why, "; ")
}

// isPath tells a file from fail2ban's other targets (":memory:", "",
// SYSLOG, SYSTEMD-JOURNAL, STDOUT, STDERR).
func isPath(s string) bool { return strings.HasPrefix(s, "/") }

func orDisabled(s string) string {
	if s == "" {
		return "disabled"
	}
	return s
}

// readDB runs dbScript and parses one record per pair.
func readDB(ctx context.Context, host remote.Host, path string, argv []string) (map[string]BanCause, error) {
	out, err := host.Run(ctx, argv)
	if err != nil {
		return nil, fmt.Errorf("cannot read fail2ban's database %s: %v", path, err)
	}
	if out.ExitCode != 0 {
		return nil, fmt.Errorf("cannot read fail2ban's database %s: python3 exited %d: %s", path, out.ExitCode, lastLine(string(out.Stderr)))
	}
	causes := map[string]BanCause{}
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(string(out.Stdout)), "\n") {
		var r dbRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return causes, fmt.Errorf("cannot read fail2ban's database %s: unexpected output %q", path, firstLine(line))
		}
		switch {
		case r.Error != "" && r.Jail == "":
			return causes, fmt.Errorf("cannot read fail2ban's database %s (%s)", path, r.Error)
		case r.Error != "":
			problems = append(problems, r.Error)
		case r.TimeOfBan != nil:
			c := BanCause{Jail: r.Jail, IP: r.IP, From: "database " + path, Start: time.Unix(*r.TimeOfBan, 0),
				Failures: r.Failures, Matches: lastMatches(r.Matches), Truncated: r.NMatches > len(r.Matches) || len(r.Matches) > maxCauseLines}
			// the ticket's own bantime (bantime.increment included), as
			// BanTicket.getEndOfBanTime adds it
			switch {
			case r.BanTime != nil && *r.BanTime < 0:
				c.Permanent = true
			case r.BanTime != nil:
				c.End = c.Start.Add(time.Duration(*r.BanTime) * time.Second)
			}
			causes[causeKey(r.Jail, r.IP)] = c
		}
	}
	if len(problems) > 0 {
		return causes, fmt.Errorf("fail2ban's database %s: %s", path, problems[0])
	}
	return causes, nil
}

// readLogTail reads the end of fail2ban's log and of its last rotation
// (logrotate's PATH.1, when there is one), oldest first: `tail -c` bounds
// what is read whatever the log's size, locally and over SSH alike.
func readLogTail(ctx context.Context, host remote.Host, path string) (string, error) {
	script := `tail -c "$1" -- "$2.1" 2>/dev/null; tail -c "$1" -- "$2"`
	out, err := host.Run(ctx, []string{"/bin/sh", "-c", script, "sh", fmt.Sprint(maxLogTail), path})
	if err != nil {
		return "", fmt.Errorf("cannot read fail2ban's log %s: %v", path, err)
	}
	if out.ExitCode != 0 {
		return "", errors.New("cannot read fail2ban's log " + path + ": " + lastLine(string(out.Stderr)))
	}
	return string(out.Stdout), nil
}

// causeFromLog finds the last "[JAIL] Ban IP" line (actions.py __checkBan;
// "Restore Ban" after a restart) and counts the "[JAIL] Found IP" lines
// (filter.py processLineAndAdd) since the previous ban of the same IP in
// that jail. fail2ban's log has the failures' times, not their lines, at
// its default level.
func causeFromLog(text, jail, ip string) (BanCause, bool) {
	lines := strings.Split(text, "\n")
	tag := "[" + jail + "] "
	banAt := -1
	for i := len(lines) - 1; i >= 0; i-- {
		if isBanLine(lines[i], tag, ip) {
			banAt = i
			break
		}
	}
	if banAt < 0 {
		return BanCause{}, false
	}
	c := BanCause{Jail: jail, IP: ip, Start: logTime(lines[banAt])}
	found := tag + "Found " + ip + " "
	for i := banAt - 1; i >= 0 && !isBanLine(lines[i], tag, ip); i-- {
		if strings.Contains(lines[i], found) {
			c.Failures++
		}
	}
	return c, true
}

func isBanLine(l, tag, ip string) bool {
	k := strings.Index(l, tag)
	if k < 0 {
		return false
	}
	rest := strings.TrimPrefix(l[k+len(tag):], "Restore ")
	id, ok := strings.CutPrefix(rest, "Ban ")
	return ok && strings.TrimSpace(id) == ip
}

// logTime reads the "2026-12-07 04:02:15,123" fail2ban puts before each log
// line (in the server's local time).
func logTime(l string) time.Time {
	if len(l) < 19 {
		return time.Time{}
	}
	t, err := time.ParseInLocation(f2bTimeLayout, l[:19], time.Local)
	if err != nil {
		return time.Time{}
	}
	return t
}

// applyCauseEnds gives each ban the end its database record says, so that
// its jail's whole ban list need not be read for it.
func applyCauseEnds(jails []JailState, causes map[string]BanCause) {
	for i := range jails {
		for k, b := range jails[i].Bans {
			if c, ok := causes[causeKey(jails[i].Name, b.ID)]; ok && (c.Permanent || !c.End.IsZero()) {
				jails[i].Bans[k].End, jails[i].Bans[k].Permanent = c.End, c.Permanent
			}
		}
	}
}
