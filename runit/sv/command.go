package sv

// action is what sv does to each service before waiting.
type action int

const (
	actNone    action = iota // check: only wait
	actControl               // send bytes to supervise/control
	actStatus                // print the status line
)

// command is what one COMMAND word asks of sv (spec §4.2).
type command struct {
	act   action
	bytes string // written to supervise/control; also the checks while waiting
	wait  bool   // wait for the checks in bytes to pass
	kill  bool   // on timeout say "kill:" and send k
}

// parseCommand maps a command word to its command, as runit's sv does: the
// first character decides unless the word is one of the LSB words. verbose
// (-v or -w) adds waiting to the single-character commands. ok is false for
// a usage error.
func parseCommand(word string, lsb, verbose bool) (c command, ok bool) {
	if word == "" {
		return c, false
	}
	c = command{act: actControl, wait: verbose}
	first := word[0]
	switch first {
	case 'x', 'e':
		c.bytes = "x"
	case 'X', 'E':
		c.bytes, c.wait, c.kill = "x", true, true
	case 'D':
		c.bytes, c.wait, c.kill = "d", true, true
	case 'T':
		c.bytes, c.wait, c.kill = "tc", true, true
	case 't', 'c', 'u', 'd', 'o', 'p', 'h', 'a', 'i', 'k', 'q', '1', '2':
		switch word {
		case "try-restart":
			c.bytes, c.wait = "tc", true
		case "check":
			// runit checks "try-restart" only under t and "check" under
			// c and t (a fall-through); the words start differently, so
			// matching both here is the same.
			c.act, c.bytes, c.wait = actNone, "C", true
		default:
			c.bytes = word[:1]
		}
	case 's':
		switch word {
		case "shutdown":
			c.bytes, c.wait = "x", true
		case "start":
			c.bytes, c.wait = "u", true
		case "stop":
			c.bytes, c.wait = "d", true
		default:
			if lsb && word != "status" {
				return command{}, false
			}
			c = command{act: actStatus, bytes: "s"}
		}
	case 'r':
		switch word {
		case "restart":
			c.bytes, c.wait = "tcu", true
		case "reload":
			c.bytes, c.wait = "h", true
		default:
			return command{}, false
		}
	case 'f':
		switch word {
		case "force-reload":
			c.bytes, c.wait, c.kill = "tc", true, true
		case "force-restart":
			c.bytes, c.wait, c.kill = "tcu", true, true
		case "force-shutdown":
			c.bytes, c.wait, c.kill = "x", true, true
		case "force-stop":
			c.bytes, c.wait, c.kill = "d", true, true
		default:
			return command{}, false
		}
	default:
		return command{}, false
	}
	return c, true
}
