package svlogd

// pmatch reports whether line matches pattern p with runit's own glob rules
// (runit's pmatch.c), anchored at both ends:
//   - an ordinary byte matches itself;
//   - '*' followed by c skips to the first c in the line (it fails when there
//     is none) and matching goes on from that c; '*' at the end of p matches
//     any rest;
//   - '+' followed by c needs one c and swallows all that follow; the match
//     succeeds at once if that uses up the line, whatever is left of p.
//
// after is the byte that follows the line in runit's line buffer (left there
// by an earlier, longer line): runit's '+' compares it when the line is
// used up, so an empty line can match "+b*" after a line starting with b.
//
// There is no escaping, no '?' and no backtracking: "*pid*" does not match
// "tcpsvd: info: pid 1977", as the first '*' stops at the p of "tcpsvd".
func pmatch(p, line []byte, after byte) bool {
	s := line
	for {
		if len(p) == 0 {
			return len(s) == 0
		}
		c := p[0]
		p = p[1:]
		switch c {
		case '*':
			if len(p) == 0 {
				return true
			}
			c = p[0]
			for {
				if len(s) == 0 {
					return false
				}
				if s[0] == c {
					break
				}
				s = s[1:]
			}
		case '+':
			if len(p) == 0 {
				return false // runit reads past the pattern's end here
			}
			next := after
			if len(s) > 0 {
				next = s[0]
			}
			if next != p[0] {
				return false
			}
			c = p[0]
			p = p[1:]
			for {
				if len(s) == 0 {
					return true
				}
				if s[0] != c {
					break
				}
				s = s[1:]
			}
		default:
			if len(s) == 0 || s[0] != c {
				return false
			}
			s = s[1:]
		}
	}
}
