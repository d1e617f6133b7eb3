package runsv

import (
	"io"
	"os"
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"sysconf/internal/errtext"
	"sysconf/runit/reaper"
)

// Main is the runsv command: runsv DIR (spec §2.1).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		io.WriteString(stderr, "usage: "+args[0]+" dir\n\n")
		return 1
	}
	dir := args[1]
	// SIGTERM is held from the start, as runsv blocks it before anything
	// else; it is applied once the loop runs.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	defaultSignals()

	if err := os.Chdir(dir); err != nil {
		io.WriteString(stderr, "runsv "+dir+": fatal: unable to change to directory: "+errtext.Text(err)+"\n")
		return 111
	}
	s, err := Open(Config{
		Dir:      ".",
		Name:     dir,
		Stderr:   stderr,
		StderrFD: 2,
		Reaper:   reaper.New(nil),
		Env:      os.Environ(),
	})
	if err != nil {
		io.WriteString(stderr, "runsv "+dir+": fatal: "+err.Error()+"\n")
		return 111
	}
	go func() {
		for range term {
			s.Exit()
		}
	}()
	return s.Run()
}

// defaultSignals gives the signals that kill a C program by default, but
// that Go ignores when nobody asked for them (SIGUSR1, SIGALRM, …) or turns
// into a goroutine dump (SIGQUIT), their default action back: runsv dies of
// them, leaving its service running, like runit's. A signal ignored when
// runsv started stays ignored.
func defaultSignals() {
	sigs := []os.Signal{syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGVTALRM, syscall.SIGIO, syscall.SIGPWR}
	var caught []os.Signal
	for _, sig := range sigs {
		if !signal.Ignored(sig) {
			caught = append(caught, sig)
		}
	}
	if len(caught) == 0 {
		return
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, caught...)
	go func() {
		sig := (<-c).(syscall.Signal)
		// signal.Reset would hand the signal back to Go's runtime, which
		// ignores these; set SIG_DFL in the kernel (an all-zero sigaction
		// on every architecture) and die of the signal.
		var act [8]uint64
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
		syscall.Kill(os.Getpid(), sig)
	}()
}
