package sv

import (
	"path/filepath"
	"testing"

	"sysconf/runit/supervise"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		word      string
		lsb, verb bool
		want      command
		ok        bool
	}{
		{word: "status", want: command{act: actStatus, bytes: "s"}, ok: true},
		{word: "s", want: command{act: actStatus, bytes: "s"}, ok: true},
		{word: "sxyz", verb: true, want: command{act: actStatus, bytes: "s"}, ok: true},
		{word: "sxyz", lsb: true},
		{word: "status", lsb: true, want: command{act: actStatus, bytes: "s"}, ok: true},
		{word: "up", want: command{act: actControl, bytes: "u"}, ok: true},
		{word: "upxyz", verb: true, want: command{act: actControl, bytes: "u", wait: true}, ok: true},
		{word: "dx", want: command{act: actControl, bytes: "d"}, ok: true},
		{word: "once", want: command{act: actControl, bytes: "o"}, ok: true},
		{word: "pause", want: command{act: actControl, bytes: "p"}, ok: true},
		{word: "cont", want: command{act: actControl, bytes: "c"}, ok: true},
		{word: "hup", want: command{act: actControl, bytes: "h"}, ok: true},
		{word: "alarm", want: command{act: actControl, bytes: "a"}, ok: true},
		{word: "interrupt", want: command{act: actControl, bytes: "i"}, ok: true},
		{word: "quit", want: command{act: actControl, bytes: "q"}, ok: true},
		{word: "1", want: command{act: actControl, bytes: "1"}, ok: true},
		{word: "2", want: command{act: actControl, bytes: "2"}, ok: true},
		{word: "term", want: command{act: actControl, bytes: "t"}, ok: true},
		{word: "kill", want: command{act: actControl, bytes: "k"}, ok: true},
		{word: "exit", want: command{act: actControl, bytes: "x"}, ok: true},
		{word: "e", want: command{act: actControl, bytes: "x"}, ok: true},
		{word: "X", want: command{act: actControl, bytes: "x", wait: true, kill: true}, ok: true},
		{word: "E", want: command{act: actControl, bytes: "x", wait: true, kill: true}, ok: true},
		{word: "D", want: command{act: actControl, bytes: "d", wait: true, kill: true}, ok: true},
		{word: "T", want: command{act: actControl, bytes: "tc", wait: true, kill: true}, ok: true},
		{word: "start", want: command{act: actControl, bytes: "u", wait: true}, ok: true},
		{word: "stop", want: command{act: actControl, bytes: "d", wait: true}, ok: true},
		{word: "shutdown", want: command{act: actControl, bytes: "x", wait: true}, ok: true},
		{word: "restart", want: command{act: actControl, bytes: "tcu", wait: true}, ok: true},
		{word: "reload", want: command{act: actControl, bytes: "h", wait: true}, ok: true},
		{word: "try-restart", want: command{act: actControl, bytes: "tc", wait: true}, ok: true},
		{word: "check", want: command{act: actNone, bytes: "C", wait: true}, ok: true},
		{word: "checkx", want: command{act: actControl, bytes: "c"}, ok: true},
		{word: "force-stop", want: command{act: actControl, bytes: "d", wait: true, kill: true}, ok: true},
		{word: "force-reload", want: command{act: actControl, bytes: "tc", wait: true, kill: true}, ok: true},
		{word: "force-restart", want: command{act: actControl, bytes: "tcu", wait: true, kill: true}, ok: true},
		{word: "force-shutdown", want: command{act: actControl, bytes: "x", wait: true, kill: true}, ok: true},
		{word: "restartx"},
		{word: "rx"},
		{word: "force"},
		{word: "bogus"},
		{word: "U"},
		{word: ""},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got, ok := parseCommand(tt.word, tt.lsb, tt.verb)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseCommand(%q, lsb=%v, verbose=%v) = %+v, %v; want %+v, %v", tt.word, tt.lsb, tt.verb, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestControlBytes compares the bytes our sv and Debian's write to a fake
// supervisor (spec §10 point 27): FIFOs held open by the test, a status
// record of a running service that wants up, stamped in the future so that
// the restart checks pass, and SVWAIT=0 so that the others time out at
// once (the force commands then send k).
func TestControlBytes(t *testing.T) {
	tests := []struct {
		word string
		want string
	}{
		{"up", ""}, {"uxx", ""}, {"down", "d"}, {"dxx", "d"}, {"once", "o"},
		{"pause", "p"}, {"cont", "c"}, {"hup", "h"}, {"alarm", "a"},
		{"interrupt", "i"}, {"quit", "q"}, {"1", "1"}, {"2", "2"},
		{"term", "t"}, {"kill", "k"}, {"exit", "x"}, {"e", "x"},
		{"X", "xk"}, {"E", "xk"}, {"D", "dk"}, {"T", "tc"},
		{"start", ""}, {"stop", "d"}, {"reload", "h"}, {"restart", "tcu"},
		{"shutdown", "x"}, {"try-restart", "tc"}, {"check", ""}, {"status", ""},
		{"force-stop", "dk"}, {"force-reload", "tc"}, {"force-restart", "tcu"},
		{"force-shutdown", "xk"},
	}
	svs := impls(t)
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			t.Parallel()
			var first result
			for i, sv := range svs {
				base := t.TempDir()
				f := newFake(t, filepath.Join(base, "svc"), record(123, supervise.StateRun, supervise.WantUp, -100, false, false))
				r := runSV(t, sv.bin, "sv", base, []string{"SVWAIT=0"}, tt.word, "./svc")
				got := f.drain(t)
				if got != tt.want {
					t.Errorf("%s sv %s: wrote %q to control, want %q (%v)", sv.name, tt.word, got, tt.want, r)
				}
				r.stdout = mask(r.stdout)
				if i == 0 {
					first = r
				} else if r != first {
					t.Errorf("sv %s:\n%s: %v\n%s: %v", tt.word, svs[0].name, first, sv.name, r)
				}
			}
		})
	}
}

// TestUsageLikeDebian compares option and usage handling (spec §10 points
// 3, 7) with Debian's sv, in normal and LSB mode.
func TestUsageLikeDebian(t *testing.T) {
	tests := []struct {
		argv0 string
		args  []string
	}{
		{"sv", nil},
		{"sv", []string{"-V"}},
		{"sv", []string{"-V", "status", "x"}},
		{"sv", []string{"-x", "status", "x"}},
		{"sv", []string{"-w"}},
		{"sv", []string{"-vw"}},
		{"sv", []string{"status"}},
		{"sv", []string{"-v", "status"}},
		{"sv", []string{"bogus", "x"}},
		{"sv", []string{"restartx", "x"}},
		{"sv", []string{"force", "x"}},
		{"sv", []string{"", "x"}},
		{"sv", []string{"--", "status"}},
		{"/some/dir/sv", []string{"-w", "x"}},
		{"a", nil},
		{"a", []string{"-V"}},
		{"a", []string{"-v", "stat"}},
		{"a", []string{"bogus"}},
		{"/etc/init.d/a", []string{"-q", "status"}},
		{"a/", []string{"bogus"}},
	}
	svs := impls(t)
	for _, tt := range tests {
		var first result
		for i, sv := range svs {
			prog := sv.bin
			if tt.argv0 != "sv" && tt.argv0 != "/some/dir/sv" {
				prog = sv.lsb
			}
			r := runSV(t, prog, tt.argv0, t.TempDir(), sv.env, tt.args...)
			if i == 0 {
				first = r
			} else if r != first {
				t.Errorf("argv0 %q args %q:\n%s: %v\n%s: %v", tt.argv0, tt.args, svs[0].name, first, sv.name, r)
			}
		}
	}
}

// TestResolutionPhases shows runit's inconsistency (spec §4.3): "a/" and ""
// are paths when sending but names in $SVDIR when waiting. The sends reach
// ./a, the waits look at $SVDIR/a; the outputs must match Debian's.
func TestResolutionPhases(t *testing.T) {
	for _, args := range [][]string{
		{"-w", "0", "down", "a/"},
		{"-w", "0", "down", "a/", ""},
		{"-w", "0", "down", "./a", "a"},
		{"-w", "0", "force-stop", "a/"},
	} {
		var first result
		var firstBytes [2]string
		for i, sv := range impls(t) {
			base := t.TempDir()
			local := newFake(t, filepath.Join(base, "a"), record(10, supervise.StateRun, supervise.WantUp, -100, false, false))
			inDir := newFake(t, filepath.Join(base, "svdir", "a"), record(0, supervise.StateDown, supervise.WantDown, -100, false, false))
			r := runSV(t, sv.bin, "sv", base, []string{"SVDIR=svdir"}, args...)
			r.stdout = mask(r.stdout)
			bytes := [2]string{local.drain(t), inDir.drain(t)}
			if i == 0 {
				first, firstBytes = r, bytes
				continue
			}
			if r != first || bytes != firstBytes {
				t.Errorf("sv %q:\ndebian: %v, control bytes ./a %q svdir/a %q\n%s: %v, control bytes ./a %q svdir/a %q",
					args, first, firstBytes[0], firstBytes[1], sv.name, r, bytes[0], bytes[1])
			}
		}
		if firstBytes[0] != "d" && args[2] != "force-stop" {
			t.Errorf("sv %q: ./a got %q, want the d sent in phase 1", args, firstBytes[0])
		}
	}
}
