package svlogd

import "bytes"

// pattern is one +, -, e or E line of a config.
type pattern struct {
	kind byte // '+', '-', 'e' or 'E'
	pat  []byte
}

// config is what a log directory's config file sets (§6.4 of the spec).
type config struct {
	size      uint64 // s: rotate at this size of current; 0 = never
	nmax      uint64 // n: keep at most this many old files; 0 = all
	nmin      uint64 // N: keep at least this many when the disk is full
	tmax      uint64 // t: rotate every tmax seconds; 0 = never
	processor string // !: shell command run on each rotated file
	udpAddr   [4]byte
	udpPort   uint16 // 0: no udp
	udpOnly   bool   // U
	prefix    []byte // p
	patterns  []pattern
}

func defaultConfig() config {
	return config{size: 1000000, nmax: 10, nmin: 10}
}

// scanUlong is djb's scan_ulong: it reads leading decimal digits (none
// gives 0) and returns the value and how many bytes it used.
func scanUlong(s []byte) (uint64, int) {
	var u uint64
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		u = u*10 + uint64(s[i]-'0')
		i++
	}
	return u, i
}

// scanIP4 is djb's ip4_scan: a dotted quad at the start of s, each part
// taken modulo 256. It returns the number of bytes used, 0 if none.
func scanIP4(s []byte) ([4]byte, int) {
	var ip [4]byte
	n := 0
	for k := 0; k < 4; k++ {
		if k > 0 {
			if n >= len(s) || s[n] != '.' {
				return ip, 0
			}
			n++
		}
		u, i := scanUlong(s[n:])
		if i == 0 {
			return ip, 0
		}
		ip[k] = byte(u)
		n += i
	}
	return ip, n
}

// cstr cuts s at its first NUL, as runit's C strings end there.
func cstr(s []byte) []byte {
	if i := bytes.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// parseConfig reads a config file's bytes line by line the way runit does:
// the first byte picks the directive, the rest of the line is its argument,
// unknown and '#' lines are skipped. Like runit it stops before a final
// one-byte line without a newline. warn receives the warnings for bad udp
// addresses ("unable to scan ip address: TEXT").
func parseConfig(data []byte, warn func(m0, m1 string)) config {
	c := defaultConfig()
	for i := 0; i+1 < len(data); i++ {
		n := bytes.IndexByte(data[i:], '\n')
		if n < 0 {
			n = len(data) - i
		}
		if n == 0 {
			continue // an empty line; the loop steps over its newline
		}
		line := data[i : i+n]
		arg := cstr(line[1:])
		switch line[0] {
		case '+', '-', 'e', 'E':
			c.patterns = append(c.patterns, pattern{kind: line[0], pat: append([]byte(nil), arg...)})
		case 's':
			v, k := scanUlong(arg)
			if k < len(arg) {
				switch arg[k] {
				case 'm':
					v *= 1024 * 1024
				case 'k':
					v *= 1024
				}
			}
			c.size = v
		case 'n':
			c.nmax, _ = scanUlong(arg)
		case 'N':
			c.nmin, _ = scanUlong(arg)
		case 't':
			v, k := scanUlong(arg)
			if k < len(arg) {
				switch arg[k] {
				case 'h':
					v *= 3600
				case 'm':
					v *= 60
				}
			}
			c.tmax = v
		case '!':
			if len(line) > 1 {
				c.processor = string(arg)
			}
		case 'U', 'u':
			if line[0] == 'U' {
				c.udpOnly = true
			}
			ip, k := scanIP4(arg)
			if k == 0 {
				warn("unable to scan ip address", string(arg))
				break
			}
			c.udpAddr = ip
			port := uint64(514)
			if k < len(arg) && arg[k] == ':' {
				port, _ = scanUlong(arg[k+1:])
				if port == 0 {
					warn("unable to scan port number", string(arg[k+1:]))
					break
				}
			}
			c.udpPort = uint16(port)
		case 'p':
			if len(line) > 1 {
				c.prefix = append([]byte(nil), arg...)
			}
		}
		i += n
	}
	return c
}
