package hexbytes

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// The tools used encoding/hex before; these keep the bytes they write and
// the labels they accept the same.

func TestEncode(t *testing.T) {
	for _, src := range [][]byte{nil, {}, {0}, {0x0f, 0xf0}, []byte("\x00\x01\x7f\x80\xfe\xff"), bytes.Repeat([]byte{0xa5, 0x5a}, 20)} {
		if got, want := Encode(src), hex.EncodeToString(src); got != want {
			t.Errorf("Encode(%x) = %q, want %q", src, got, want)
		}
	}
}

func TestDecode(t *testing.T) {
	for _, s := range []string{"", "00", "0f", "F0", "aBcD", "400000006553f1a2", "0", "abc", "0g", "g0", "zz", " 0", "0x", "+1", "-1", "\xff\xff"} {
		got, ok := Decode(s)
		want, err := hex.DecodeString(s)
		if ok != (err == nil) {
			t.Errorf("Decode(%q) ok = %v, encoding/hex's error = %v", s, ok, err)
			continue
		}
		if ok && !bytes.Equal(got, want) {
			t.Errorf("Decode(%q) = %x, want %x", s, got, want)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("\x00\x10\xff"), "0aF9")
	f.Fuzz(func(t *testing.T, src []byte, s string) {
		if got, want := Encode(src), hex.EncodeToString(src); got != want {
			t.Fatalf("Encode(%x) = %q, want %q", src, got, want)
		}
		if back, ok := Decode(Encode(src)); !ok || !bytes.Equal(back, src) {
			t.Fatalf("Decode(Encode(%x)) = %x, %v", src, back, ok)
		}
		got, ok := Decode(s)
		want, err := hex.DecodeString(s)
		if ok != (err == nil) || ok && !bytes.Equal(got, want) {
			t.Fatalf("Decode(%q) = %x, %v; encoding/hex: %x, %v", s, got, ok, want, err)
		}
	})
}
