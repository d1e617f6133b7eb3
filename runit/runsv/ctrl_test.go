package runsv

import (
	"syscall"
	"testing"

	"sysconf/runit/supervise"
)

func TestCommand(t *testing.T) {
	run := ctrlState{state: supervise.StateRun, want: supervise.WantUp}
	down := ctrlState{state: supervise.StateDown, want: supervise.WantDown}
	tests := []struct {
		name  string
		c     byte
		st    ctrlState
		islog bool
		want  ctrlState
		eff   effect
	}{
		{"d running", 'd', run, false, ctrlState{supervise.StateRun, supervise.WantDown, false}, effect{update: true, stop: true}},
		{"u down", 'u', down, false, ctrlState{supervise.StateDown, supervise.WantUp, false}, effect{update: true, start: true}},
		{"u running", 'u', run, false, run, effect{update: true}},
		{"x main", 'x', run, false, ctrlState{supervise.StateRun, supervise.WantExit, false}, effect{update: true, stop: true}},
		{"x log", 'x', run, true, run, effect{}},
		{"t down", 't', down, false, down, effect{}},
		{"k running", 'k', run, false, ctrlState{supervise.StateDown, supervise.WantUp, false}, effect{signal: syscall.SIGKILL}},
		{"k down", 'k', down, false, down, effect{}},
		{"p running", 'p', run, false, ctrlState{supervise.StateRun, supervise.WantUp, true}, effect{signal: syscall.SIGSTOP, update: true}},
		{"c down", 'c', down, false, down, effect{update: true}},
		{"o down", 'o', down, false, down, effect{update: true, start: true}},
		{"h running", 'h', run, false, run, effect{signal: syscall.SIGHUP}},
		{"2 running", '2', run, false, run, effect{signal: syscall.SIGUSR2}},
		{"unknown", 'z', run, false, run, effect{}},
		{"finish ignores t", 't', ctrlState{state: supervise.StateFinish, want: supervise.WantUp}, false, ctrlState{state: supervise.StateFinish, want: supervise.WantUp}, effect{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, eff := command(tt.c, tt.st, tt.islog)
			if got != tt.want || eff != tt.eff {
				t.Errorf("command(%q, %+v) = %+v, %+v; want %+v, %+v", tt.c, tt.st, got, eff, tt.want, tt.eff)
			}
		})
	}
}

// FuzzCommandStream feeds any byte stream, as runsv reads it from a
// control FIFO one byte per iteration, to command, with a service whose
// process exits as soon as it is stopped, and checks the rules of spec
// §2.7 at every byte.
func FuzzCommandStream(f *testing.F) {
	f.Add([]byte("tcu"), false, false)
	f.Add([]byte("dux"), false, true)
	f.Add([]byte("xdu"), true, false)
	f.Add([]byte("kkpcpc"), false, false)
	f.Add([]byte("o\x00\xffahiq12"), false, true)
	f.Fuzz(func(t *testing.T, stream []byte, islog, running bool) {
		st := ctrlState{state: supervise.StateDown, want: supervise.WantUp}
		if running {
			st.state = supervise.StateRun
		}
		for i, c := range stream {
			next, eff := command(c, st, islog)
			fail := func(why string) {
				t.Fatalf("byte %d %q on %+v (log %v) gave %+v, %+v: %s", i, c, st, islog, next, eff, why)
			}
			switch next.want {
			case supervise.WantUp, supervise.WantDown:
			case supervise.WantExit:
				if islog {
					fail("the log service was told to exit")
				}
			default:
				fail("want is not u, d or x")
			}
			isRun := st.state == supervise.StateRun
			if (eff.signal != 0 || eff.stop) && !isRun {
				fail("a signal or a stop without a running process")
			}
			if eff.start && st.state != supervise.StateDown {
				fail("a start while a process runs")
			}
			if next.state != st.state && (c != 'k' || next.state != supervise.StateDown) {
				fail("the state changed other than by k")
			}
			if next.paused != st.paused && c != 'p' && c != 'c' {
				fail("paused changed other than by p or c")
			}
			known := false
			for _, k := range []byte("udoxtkpcahiq12") {
				known = known || k == c
			}
			if !known && (next != st || eff != effect{}) {
				fail("an unknown byte did something")
			}
			st = next
			if eff.stop && st.want != supervise.WantUp {
				st.state = supervise.StateDown // the process exits at once
			}
			if eff.start {
				st.state = supervise.StateRun
			}
		}
	})
}
