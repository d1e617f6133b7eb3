package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Pos formats the start of r as "file:line:col", the one place that does.
func Pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// errDiag builds an error diagnostic; subject may be nil.
func errDiag(subject *hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject}
}

// suggest returns the candidate closest to given when it is close enough to
// be a likely misspelling, or "".
func suggest(given string, candidates []string) string {
	best, bestDist := "", 0
	cs := append([]string(nil), candidates...)
	sort.Strings(cs)
	for _, c := range cs {
		d := levenshtein(given, c)
		if d <= 2 || (d <= len(given)/3 && d < len(c)) {
			if best == "" || d < bestDist {
				best, bestDist = c, d
			}
		}
	}
	return best
}

// didYouMean is " Did you mean "x"?" for a close candidate, or "".
func didYouMean(given string, candidates []string) string {
	if s := suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// validName reports whether s may name a service, runlevel, module or
// for_each key: letters, digits, '_' and '-', not starting with '-', at most
// 64 bytes. Such a name is a safe folder name (no '/', no leading '.') and is
// also an HCL identifier, so service.NAME can refer to it. '.' is left out on
// purpose: it separates a module's name from its services' names.
func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

const nameRule = "A name is 1 to 64 letters, digits, '_' or '-', and does not start with '-'; it can hold no '/' or '.', so it can never leave its folder."

// validAccount reports whether s is a plausible user or group name (as
// useradd accepts) or a number.
func validAccount(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '-', c == '.':
			if i == 0 && c != '_' && !allDigits(s) {
				return false
			}
		case c == '$' && i == len(s)-1 && i > 0:
		default:
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseSize reads a size such as "512MB", "64k", "1 GiB" or "4096" as bytes.
// K, M, G and T (with or without "B" or "iB") are powers of 1024, as svlogd
// and chpst users expect.
func parseSize(s string) (int64, bool) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 || i > 15 {
		return 0, false
	}
	var n int64
	for _, c := range t[:i] {
		n = n*10 + int64(c-'0')
	}
	unit := strings.ToUpper(strings.TrimSpace(t[i:]))
	mult := map[string]int64{
		"": 1, "B": 1,
		"K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10,
		"M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
		"G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
		"T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40,
	}
	m, ok := mult[unit]
	if !ok {
		return 0, false
	}
	if n > (1<<62)/m {
		return 0, false
	}
	return n * m, true
}

// parseDuration reads "90", "90s", "15m", "2h" or "1d" as seconds.
func parseDuration(s string) (int64, bool) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, false
	}
	mult := int64(1)
	switch t[len(t)-1] {
	case 's':
		t = t[:len(t)-1]
	case 'm':
		mult, t = 60, t[:len(t)-1]
	case 'h':
		mult, t = 3600, t[:len(t)-1]
	case 'd':
		mult, t = 86400, t[:len(t)-1]
	}
	if !allDigits(t) || len(t) > 12 {
		return 0, false
	}
	var n int64
	for _, c := range t {
		n = n*10 + int64(c-'0')
	}
	return n * mult, true
}
