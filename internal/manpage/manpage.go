// Package manpage writes manual pages in roff (man(7) macros) from two
// sources that already hold the text, so the pages cannot drift from them:
// a Go package's doc comment laid out like a man page (the runit tools'
// doc.go: # Synopsis, # Description, # Options, # Exit codes) and the
// blocks cmd/sysconf builds from its cobra commands' --help text. It knows
// nothing of cobra or of the tools; cmd/sysconf's hidden man command calls
// it. Start with Page and Write.
package manpage

import (
	"fmt"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Page is one manual page.
type Page struct {
	Name     string // "runsv", "sysconf-apply"
	Section  int    // 8
	Title    string // the one line after the name in NAME
	Source   string // the footer's left field: "sysconf (devel)"
	Manual   string // the header's centre: "System Manager's Manual"
	Sections []Section
}

// Section is a top-level section: SYNOPSIS, DESCRIPTION, OPTIONS, …
type Section struct {
	Title  string // written in capitals
	Blocks []Block
}

// Block is a paragraph, a literal block or a tagged paragraph.
type Block struct {
	Kind Kind
	Text string // Para: running text; Literal: lines kept as they are; Tagged: the body
	Tag  string // Tagged: the tag line (roff text allowed, see Bold)
}

// Kind is what a Block is.
type Kind int

// The kinds of Block.
const (
	Para    Kind = iota // filled running text
	Literal             // lines shown as written (synopses, examples, tables)
	Tagged              // a tag, such as an option, then indented text
)

// Write renders p in roff to w; it returns w's error.
func Write(w io.Writer, p Page) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s %d \"\" %s %s\n", quoteArg(strings.ToUpper(p.Name)), p.Section, quoteArg(p.Source), quoteArg(p.Manual))
	// No hyphenation and a ragged right margin: option names and page
	// references (sysconf-apply(8)) stay whole, so they can be copied.
	b.WriteString(".nh\n.ad l\n")
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(&b, "%s \\- %s\n", Escape(p.Name), Escape(p.Title))
	for _, s := range p.Sections {
		if len(s.Blocks) == 0 {
			continue
		}
		fmt.Fprintf(&b, ".SH %s\n", quoteArg(strings.ToUpper(s.Title)))
		for i, bl := range s.Blocks {
			switch bl.Kind {
			case Para:
				if i > 0 {
					b.WriteString(".PP\n")
				}
				b.WriteString(line(Escape(bl.Text)))
			case Literal:
				b.WriteString(".PP\n.RS 4\n.nf\n")
				for _, l := range strings.Split(strings.TrimRight(bl.Text, "\n"), "\n") {
					b.WriteString(line(escapeLiteral(l)))
				}
				b.WriteString(".fi\n.RE\n")
			case Tagged:
				b.WriteString(".TP\n")
				b.WriteString(line(bl.Tag))
				b.WriteString(line(Escape(bl.Text)))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// line ends a roff text line, protecting a leading control character and
// an empty line, which roff would take as a request or a blank line.
func line(s string) string {
	if s == "" {
		return "\\&\n"
	}
	if s[0] == '.' || s[0] == '\'' {
		s = "\\&" + s
	}
	return s + "\n"
}

func quoteArg(s string) string {
	return `"` + strings.ReplaceAll(Escape(s), `"`, `\(dq`) + `"`
}

// Escape turns running text into roff text: backslashes escaped, each
// hyphen of a word that starts with one (an option: -v, --no-color) made a
// minus sign so that it can be copied, a word with a hyphen never broken
// across lines (sysconf-apply(8) stays whole), and every non-ASCII
// character written as \[uXXXX], so the page needs no input encoding.
func Escape(s string) string {
	s = strings.NewReplacer("\n", " ", "\t", " ").Replace(s)
	words := strings.Split(s, " ")
	for i, w := range words {
		words[i] = escapeWord(w)
	}
	return strings.Join(words, " ")
}

func escapeWord(w string) string {
	var b strings.Builder
	if strings.Contains(w, "-") {
		b.WriteString(`\%`)
	}
	prev := ' '
	option := false // in a word that starts with '-': every '-' of it is a minus
	for _, r := range w {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-' && (option || prev == ' ' || prev == '[' || prev == '(' || prev == '|' || prev == '"'):
			option = true
			b.WriteString(`\-`)
		case r > 126:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// escapeLiteral is Escape for a line shown as written: every hyphen is a
// minus sign, and tabs become spaces (a tab in no-fill mode is a tab stop).
func escapeLiteral(s string) string {
	s = strings.ReplaceAll(s, "\t", "        ")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 126:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Bold returns s escaped and set in bold, for a Tagged block's tag.
func Bold(s string) string { return `\fB` + Escape(s) + `\fR` }

// Italic returns s escaped and set in italics.
func Italic(s string) string { return `\fI` + Escape(s) + `\fR` }

// FromDoc turns a doc comment laid out like a man page into sections: each
// "# Heading" starts a section, and the text before the first heading (the
// Go package's introduction) and the sections named in skip (such as "Use
// as a library") are left out. It fails when the comment has no Synopsis
// or Description.
func FromDoc(text string, skip ...string) ([]Section, error) {
	var p comment.Parser
	doc := p.Parse(text)
	var out []Section
	var cur *Section
	skipping := true
	for _, blk := range doc.Content {
		if h, ok := blk.(*comment.Heading); ok {
			title := plain(h.Text)
			skipping = false
			for _, s := range skip {
				skipping = skipping || strings.EqualFold(s, title)
			}
			if skipping {
				cur = nil
				continue
			}
			out = append(out, Section{Title: title})
			cur = &out[len(out)-1]
			continue
		}
		if skipping || cur == nil {
			continue
		}
		cur.Blocks = append(cur.Blocks, blocks(blk)...)
	}
	has := map[string]bool{}
	for _, s := range out {
		has[strings.ToUpper(s.Title)] = true
	}
	if !has["SYNOPSIS"] || !has["DESCRIPTION"] {
		return nil, fmt.Errorf("the doc comment has no # Synopsis or no # Description")
	}
	return out, nil
}

func blocks(blk comment.Block) []Block {
	switch b := blk.(type) {
	case *comment.Paragraph:
		return []Block{{Kind: Para, Text: plain(b.Text)}}
	case *comment.Code:
		return []Block{{Kind: Literal, Text: b.Text}}
	case *comment.List:
		var out []Block
		for i, it := range b.Items {
			tag := `\(bu`
			if b.Items[i].Number != "" {
				tag = it.Number + "."
			}
			var text []string
			for _, c := range it.Content {
				if p, ok := c.(*comment.Paragraph); ok {
					text = append(text, plain(p.Text))
				}
			}
			out = append(out, Block{Kind: Tagged, Tag: tag, Text: strings.Join(text, " ")})
		}
		return out
	}
	return nil
}

// plain flattens doc-comment text (links and italics included) to a string.
func plain(ts []comment.Text) string {
	var b strings.Builder
	for _, t := range ts {
		switch t := t.(type) {
		case comment.Plain:
			b.WriteString(string(t))
		case comment.Italic:
			b.WriteString(string(t))
		case *comment.Link:
			b.WriteString(plain(t.Text))
		case *comment.DocLink:
			// In a man-page-style comment "[path]" is an optional operand
			// or a literal, not a link to Go documentation.
			b.WriteString("[" + plain(t.Text) + "]")
		}
	}
	return b.String()
}

// PackageDoc returns the doc comment of the Go package in dir (whichever of
// its non-test files carries it), as text without comment markers.
func PackageDoc(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	fset := token.NewFileSet()
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return "", err
		}
		if f.Doc != nil {
			return f.Doc.Text(), nil
		}
	}
	return "", fmt.Errorf("%s: no package doc comment", dir)
}
