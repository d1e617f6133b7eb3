// Package sgetopt parses options the way djb's sgetopt does, which is what
// runit's sv, chpst and svlogd use: options precede operands, may be
// clustered (-ttt, -012), take their argument attached (-w5) or as the next
// word, "--" ends them and a lone "-" is an operand. Go's flag package does
// none of the clustering, so the runit tools share this small parser instead.
package sgetopt

import (
	"io"
	"strings"
)

// Parser walks the options of one argument vector.
type Parser struct {
	name      string // printed in the error lines: basename of argv[0]
	args      []string
	optstring string
	stderr    io.Writer

	ind int // index of the word being parsed
	pos int // position inside args[ind]; 0 means "start a new word"
}

// New returns a parser for args (without argv[0]). optstring lists the option
// letters, a letter followed by ':' taking an argument, as in getopt(3).
// Errors are reported on stderr as "name: illegal option -- X".
func New(name string, args []string, optstring string, stderr io.Writer) *Parser {
	return &Parser{name: name, args: args, optstring: optstring, stderr: stderr}
}

// Next returns the next option letter and its argument. It returns done=true
// when the options are over. An unknown option or a missing argument is
// reported on stderr and returned as opt '?'; the caller prints its usage.
func (p *Parser) Next() (opt byte, arg string, done bool) {
	if p.pos == 0 {
		if p.ind >= len(p.args) {
			return 0, "", true
		}
		w := p.args[p.ind]
		if len(w) < 2 || w[0] != '-' {
			return 0, "", true
		}
		if w == "--" {
			p.ind++
			return 0, "", true
		}
		p.pos = 1
	}
	w := p.args[p.ind]
	c := w[p.pos]
	p.pos++
	i := strings.IndexByte(p.optstring, c)
	if c == ':' || i < 0 {
		p.complain("illegal option", c)
		p.advanceIfWordDone()
		return '?', "", false
	}
	if i+1 < len(p.optstring) && p.optstring[i+1] == ':' {
		if p.pos < len(w) {
			arg = w[p.pos:]
			p.ind++
			p.pos = 0
			return c, arg, false
		}
		p.ind++
		p.pos = 0
		if p.ind >= len(p.args) {
			p.complain("option requires an argument", c)
			return '?', "", false
		}
		arg = p.args[p.ind]
		p.ind++
		return c, arg, false
	}
	p.advanceIfWordDone()
	return c, "", false
}

func (p *Parser) advanceIfWordDone() {
	if p.pos >= len(p.args[p.ind]) {
		p.ind++
		p.pos = 0
	}
}

// Rest returns the operands that follow the options. Call it once Next has
// returned done.
func (p *Parser) Rest() []string {
	return p.args[p.ind:]
}

// complain prints getopt's diagnostic as runit's sgetopt does, the option
// as the raw byte it was given. Not with fmt: sgetopt is in every runit
// tool, and fmt (with reflect) would be in their binaries for these two
// lines, which costs each start of chpst and sv time (docs/benchmarks.md).
func (p *Parser) complain(what string, c byte) {
	io.WriteString(p.stderr, p.name+": "+what+" -- "+string([]byte{c})+"\n")
}
