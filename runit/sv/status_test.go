package sv

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"sysconf/runit/supervise"
)

// rawRecord builds a record byte by byte, foreign values included.
func rawRecord(since uint64, pid uint32, paused, want, term, state byte) supervise.Record {
	var r supervise.Record
	binary.BigEndian.PutUint64(r[0:8], since)
	binary.BigEndian.PutUint32(r[8:12], 500)
	binary.LittleEndian.PutUint32(r[12:16], pid)
	r[16], r[17], r[18], r[19] = paused, want, term, state
	return r
}

func TestAppendStatus(t *testing.T) {
	const now = 1<<62 + 10 + 1_700_000_000
	tests := []struct {
		name       string
		rec        supervise.Record
		normallyUp bool
		want       string
	}{
		{"run", rawRecord(now-5, 9420, 0, 'u', 0, 1), true, "run: S: (pid 9420) 5s"},
		{"run normally down", rawRecord(now-5, 9420, 0, 'u', 0, 1), false, "run: S: (pid 9420) 5s, normally down"},
		{"once", rawRecord(now, 9504, 0, 'd', 0, 1), true, "run: S: (pid 9504) 0s, want down"},
		{"got TERM", rawRecord(now-4, 9735, 0, 'd', 1, 1), true, "run: S: (pid 9735) 4s, want down, got TERM"},
		{"paused", rawRecord(now-2, 7, 1, 'u', 0, 1), true, "run: S: (pid 7) 2s, paused"},
		{"every pid suffix", rawRecord(now-2, 7, 1, 'd', 1, 1), false, "run: S: (pid 7) 2s, normally down, paused, want down, got TERM"},
		{"finish", rawRecord(now-1, 77, 0, 'd', 0, 2), true, "finish: S: (pid 77) 1s, want down"},
		{"finish pid 0", rawRecord(now, 0, 0, 'u', 0, 2), true, "finish: S: (pid 0) 0s, normally up, want up"},
		{"down", rawRecord(now-631, 0, 0, 'd', 0, 0), true, "down: S: 631s, normally up"},
		{"down want up", rawRecord(now-1, 0, 0, 'u', 0, 0), true, "down: S: 1s, normally up, want up"},
		{"down normally down", rawRecord(now-1, 0, 0, 'd', 0, 0), false, "down: S: 1s"},
		{"down flags ignored", rawRecord(now-1, 0, 1, 'd', 1, 0), false, "down: S: 1s"},
		{"unknown state", rawRecord(now-100, 12345, 0, 'u', 0, 7), true, "S: (pid 12345) 100s"},
		{"unknown state, no pid", rawRecord(now-100, 0, 0, 'x', 0, 0xff), false, "S: (pid 0) 100s"},
		{"negative age", rawRecord(now+50, 1, 0, 'u', 0, 1), true, "run: S: (pid 1) 0s"},
		{"pid sign-extended", rawRecord(now, 3_000_000_000, 0, 'u', 0, 1), true, "run: S: (pid 18446744072414584320) 0s"},
		{"foreign want byte", rawRecord(now, 5, 0, 'x', 0, 1), true, "run: S: (pid 5) 0s"},
		{"term byte 2", rawRecord(now, 5, 2, 'u', 2, 1), true, "run: S: (pid 5) 0s, paused, got TERM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendStatus(nil, "S", &tt.rec, now, tt.normallyUp))
			if got != tt.want {
				t.Errorf("appendStatus = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStatusLikeDebian prints crafted records held by fake supervisors with
// our sv and Debian's, main and log parts, in normal and LSB mode.
func TestStatusLikeDebian(t *testing.T) {
	type rec struct {
		pid          uint32
		paused, want byte
		term, state  byte
		age          int64
	}
	tests := []struct {
		name  string
		main  rec
		log   *rec     // a supervised log service
		files []string // extra files: "down", "log/", "log/down", "downloop", "short"
	}{
		{name: "run", main: rec{9420, 0, 'u', 0, 1, 3}},
		{name: "run down file", main: rec{9420, 0, 'u', 0, 1, 3}, files: []string{"down"}},
		{name: "all suffixes", main: rec{7, 1, 'd', 1, 1, 2}, files: []string{"down"}},
		{name: "down", main: rec{0, 0, 'd', 0, 0, 3}},
		{name: "down want up", main: rec{0, 0, 'u', 0, 0, 3}},
		{name: "finish", main: rec{8, 0, 'd', 0, 2, 1}},
		{name: "unknown state", main: rec{12345, 0, 'u', 0, 9, 1}},
		{name: "future", main: rec{12, 0, 'u', 0, 1, -1000}},
		{name: "big pid", main: rec{0xffffffff, 0, 'u', 0, 1, 1}},
		{name: "log run", main: rec{10, 0, 'u', 0, 1, 2}, log: &rec{11, 0, 'u', 0, 1, 2}},
		{name: "log down", main: rec{10, 0, 'u', 0, 1, 2}, log: &rec{0, 0, 'd', 0, 0, 2}, files: []string{"log/down"}},
		{name: "log down no pid main", main: rec{0, 0, 'd', 0, 0, 2}, log: &rec{11, 0, 'u', 0, 1, 2}},
		{name: "log never supervised", main: rec{10, 0, 'u', 0, 1, 2}, files: []string{"log/"}},
		{name: "log is a file", main: rec{10, 0, 'u', 0, 1, 2}, files: []string{"logfile"}},
		{name: "down loop", main: rec{10, 0, 'u', 0, 1, 2}, files: []string{"downloop"}},
		{name: "log down loop", main: rec{10, 0, 'u', 0, 1, 2}, log: &rec{11, 0, 'u', 0, 1, 2}, files: []string{"logdownloop"}},
		{name: "short log record", main: rec{10, 0, 'u', 0, 1, 2}, log: &rec{11, 0, 'u', 0, 1, 2}, files: []string{"logshort"}},
		{name: "long record", main: rec{10, 0, 'u', 0, 1, 2}, files: []string{"long"}},
	}
	svs := impls(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			dir := filepath.Join(base, "svc")
			now := supervise.Now().Sec
			raw := func(r rec) []byte {
				b := rawRecord(now-uint64(r.age), r.pid, r.paused, r.want, r.term, r.state)
				return b[:]
			}
			f := newFake(t, dir, raw(tt.main))
			if tt.log != nil {
				newFake(t, filepath.Join(dir, "log"), raw(*tt.log))
			}
			for _, name := range tt.files {
				var err error
				switch name {
				case "down", "log/down":
					err = os.WriteFile(filepath.Join(dir, name), nil, 0o644)
				case "log/":
					err = os.Mkdir(filepath.Join(dir, "log"), 0o755)
				case "logfile":
					err = os.WriteFile(filepath.Join(dir, "log"), nil, 0o644)
				case "downloop":
					err = os.Symlink("down", filepath.Join(dir, "down"))
				case "logdownloop":
					err = os.Symlink("down", filepath.Join(dir, "log", "down"))
				case "logshort":
					err = os.WriteFile(filepath.Join(dir, "log", "supervise", "status"), []byte("abcde"), 0o644)
				case "long":
					f.setStatus(t, append(raw(tt.main), "trailing"...))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			var first [2]result
			for i, sv := range svs {
				got := [2]result{
					runSV(t, sv.bin, "sv", base, nil, "status", "./svc"),
					runSV(t, sv.lsb, filepath.Join(base, "svc"), base, append([]string{"SVDIR=" + base}, sv.env...), "status"),
				}
				// Ages are masked: a second may pass between the runs.
				for k := range got {
					got[k].stdout = mask(got[k].stdout)
				}
				if i == 0 {
					first = got
					continue
				}
				for k := range got {
					if got[k] != first[k] {
						t.Errorf("mode %d:\n%s: %v\n%s: %v", k, svs[0].name, first[k], sv.name, got[k])
					}
				}
			}
		})
	}
}
