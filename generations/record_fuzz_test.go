package generations

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeRecord feeds manifest.json bytes (seeds in
// testdata/fuzz/FuzzDecodeRecord: a real record and damaged ones) to the
// decoder that every command reads generations through. It must fail with
// ErrInvalid or return a record that activation can use safely: store
// paths inside the store, managed files under etc/, and the same record
// again after an encode and decode.
func FuzzDecodeRecord(f *testing.F) {
	l := SandboxLayout
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := l.decodeRecord(b, 1)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		for name, p := range rec.StorePaths {
			entry, ok := strings.CutPrefix(p, l.Store()+"/")
			if !ok || path.Clean(p) != p || strings.Contains(entry, "/") || entry == ".." {
				t.Fatalf("store path of %s outside the store: %q", name, p)
			}
		}
		files, err := rec.Manifest.fileSet(l)
		if err != nil {
			t.Fatalf("accepted a record whose files fail: %v", err)
		}
		for rel := range files {
			if path.Clean(rel) != rel || !strings.HasPrefix(rel, "etc/") {
				t.Fatalf("managed file outside etc/: %q", rel)
			}
		}
		_ = rec.Manifest.Hash()
		js, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		again, err := l.decodeRecord(js, 1)
		if err != nil {
			t.Fatalf("the record's own encoding is refused: %v", err)
		}
		if js2, _ := json.Marshal(again); !bytes.Equal(js, js2) {
			t.Fatalf("round trip changed the record:\n%s\n%s", js, js2)
		}
	})
}

// TestDecodeRecordSeeds holds the seeds to their verdicts: the real record
// is accepted, every damaged one refused.
func TestDecodeRecordSeeds(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzDecodeRecord/*")
	if err != nil || len(files) < 5 {
		t.Fatalf("seeds: %v %v", files, err)
	}
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		_, quoted, _ := strings.Cut(strings.TrimSpace(string(raw)), "[]byte(")
		s, err := strconv.Unquote(strings.TrimSuffix(quoted, ")"))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		_, err = SandboxLayout.decodeRecord([]byte(s), 1)
		if valid := filepath.Base(p) == "valid"; valid != (err == nil) {
			t.Errorf("%s: err = %v", filepath.Base(p), err)
		}
	}
}
