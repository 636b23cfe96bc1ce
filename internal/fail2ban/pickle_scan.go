package fail2ban

import (
	"bytes"
	"fmt"
	"strings"
)

// maxReplyOpcodes caps the pickle opcodes of one reply, checked before the
// reply is unpickled. Unpickling costs memory per value, not per byte: a
// reply of tiny values (None, "a") makes a few dozen bytes of Go values out
// of each byte, so a size cap alone would let a hostile peer hand the check
// hundreds of MiB. Every opcode pushes at most one value. A real ban list
// (`banip --with-time`) costs about two opcodes a ban (the string and its
// MEMOIZE, pickle protocols 4 and 5), so this allows about 95000 bans in one
// jail; 200000 of the tiniest values peak at about 30 MiB RSS
// (cmd/check_fail2ban_trusted TestHostileRepliesBoundMemory).
const maxReplyOpcodes = 200000

// Argument layouts of the pickle opcodes (Python's Lib/pickletools.py, the
// opcodes of protocols 0 to 5).
var (
	pickleNoArg   = "(.012NRabd}el]ost)u\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94Q\x97\x98"
	pickleLineArg = "ILSVFPgp" // one argument ending at a newline
	pickleTwoLine = "ci"       // GLOBAL, INST: module and name, a line each
	pickleFixed   = map[byte]int{'J': 4, 'K': 1, 'M': 2, 'G': 8, 'h': 1, 'j': 4, 'q': 1, 'r': 4,
		'\x80': 1, '\x82': 1, '\x83': 2, '\x84': 4, '\x95': 8}
	// length-prefixed data: the width of the little-endian length
	pickleCounted = map[byte]int{'T': 4, 'U': 1, 'X': 4, '\x8c': 1, '\x8d': 8, 'B': 4, 'C': 1, '\x8e': 8,
		'\x96': 8, '\x8a': 1, '\x8b': 4}
)

// checkPickleCost walks a pickle's opcodes without building anything and
// refuses one with more than maxReplyOpcodes, or one it cannot walk. It
// returns the offsets of the BUILD opcodes (see withoutBuild).
func checkPickleCost(raw []byte) (builds []int, err error) {
	ops := 0
	for i := 0; i < len(raw); {
		op := raw[i]
		i++
		if ops++; ops > maxReplyOpcodes {
			return nil, fmt.Errorf("%w: more than %d pickle opcodes (a reply this check refuses to unpickle)", errNotAReply, maxReplyOpcodes)
		}
		switch {
		case op == '.': // STOP
			return builds, nil
		case op == 'b': // BUILD
			builds = append(builds, i-1)
		case strings.IndexByte(pickleNoArg, op) >= 0:
		case strings.IndexByte(pickleLineArg, op) >= 0, strings.IndexByte(pickleTwoLine, op) >= 0:
			lines := 1
			if strings.IndexByte(pickleTwoLine, op) >= 0 {
				lines = 2
			}
			for ; lines > 0; lines-- {
				nl := bytes.IndexByte(raw[i:], '\n')
				if nl < 0 {
					return nil, fmt.Errorf("%w: corrupt pickle (opcode %q without its line)", errNotAReply, op)
				}
				i += nl + 1
			}
		case pickleFixed[op] > 0:
			i += pickleFixed[op]
		case pickleCounted[op] > 0:
			width := pickleCounted[op]
			if i+width > len(raw) {
				return nil, fmt.Errorf("%w: corrupt pickle (opcode %q cut short)", errNotAReply, op)
			}
			var n uint64 // little-endian, as pickle writes lengths
			for k := width - 1; k >= 0; k-- {
				n = n<<8 | uint64(raw[i+k])
			}
			i += width
			if n > uint64(len(raw)-i) {
				return nil, fmt.Errorf("%w: corrupt pickle (opcode %q claims %d bytes)", errNotAReply, op, n)
			}
			i += int(n)
		default:
			return nil, fmt.Errorf("%w: corrupt pickle (unknown opcode 0x%02x)", errNotAReply, op)
		}
	}
	return nil, fmt.Errorf("%w: corrupt pickle (no STOP)", errNotAReply)
}

// withoutBuild turns each BUILD into TUPLE2, on a copy. og-rek does not
// implement BUILD (obj.__setstate__(state)), which fail2ban 1.1.1's
// `get JAIL ignoreip` needs: a file: entry is a FileIPAddrSet, pickled as
// set.__reduce__ gives it, FileIPAddrSet([entries loaded so far]) then
// BUILD with its __dict__ ({"fileName": PATH, ...}). As TUPLE2 the object
// and its state arrive side by side, (Call, dict), and normalize reads the
// file's name from the dict. Same length: frame sizes stay right.
func withoutBuild(raw []byte, builds []int) []byte {
	if len(builds) == 0 {
		return raw
	}
	out := bytes.Clone(raw)
	for _, i := range builds {
		out[i] = '\x86' // TUPLE2
	}
	return out
}
