// Package hexbytes is lowercase hexadecimal for the runit tools, which keep
// encoding/hex out of their binaries: it imports fmt, and fmt brings reflect
// and its printer, the largest part of a small Go program that the tools
// have no use for (issue 16). It owns nothing else.
package hexbytes

const digits = "0123456789abcdef"

// Encode returns src as lowercase hexadecimal, two digits a byte: what
// encoding/hex.EncodeToString returns.
func Encode(src []byte) string {
	b := make([]byte, 2*len(src))
	for i, c := range src {
		b[2*i] = digits[c>>4]
		b[2*i+1] = digits[c&0x0f]
	}
	return string(b)
}

// Decode returns the bytes that s spells, two hexadecimal digits of either
// case a byte. ok is false, and the bytes nil, for an odd length or a
// character that is not a hexadecimal digit: where encoding/hex.DecodeString
// returns an error.
func Decode(s string) (b []byte, ok bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	b = make([]byte, len(s)/2)
	for i := range b {
		hi, ok1 := value(s[2*i])
		lo, ok2 := value(s[2*i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		b[i] = hi<<4 | lo
	}
	return b, true
}

// value is the number a hexadecimal digit stands for.
func value(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
