package pid1

import (
	"errors"
	"io"
	"os"
	"syscall"

	"sysconf/internal/errtext"
)

const initVersion = "$Id: f075d98bf7dd17c893021f9572cbb970cdad8dcf $"

// InitMain is the runit-init program (spec §7.5). As process no. 1 it runs
// runit in place and does not return; otherwise it asks process no. 1 to
// halt (0) or reboot (6) the system.
func InitMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if os.Getpid() == 1 {
		return RunitMain([]string{"runit"}, stdin, stdout, stderr)
	}
	prog := "runit-init"
	if len(args) > 0 {
		prog = args[0]
	}
	usage := func() int {
		io.WriteString(stderr, "usage: "+prog+" 0|6\n\n")
		return 0
	}
	if len(args) < 2 || args[1] == "" {
		return usage()
	}
	fail := func(what, file string, err error) int {
		io.WriteString(stderr, "init: fatal: unable to "+what+" "+file+": "+errtext.Text(err)+"\n")
		return 111
	}
	switch args[1][0] {
	case '0':
		if err := flagFile(StopitFile); err != nil {
			return fail("create", StopitFile, err)
		}
		if err := os.Chmod(RebootFile, 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fail("chmod", RebootFile, err)
		}
	case '6':
		if err := flagFile(StopitFile); err != nil {
			return fail("create", StopitFile, err)
		}
		if err := flagFile(RebootFile); err != nil {
			return fail("create", RebootFile, err)
		}
	case '-':
		if len(args[1]) > 1 && args[1][1] == 'V' {
			io.WriteString(stderr, initVersion+"\n\n")
		}
		return usage()
	default:
		return usage()
	}
	syscall.Kill(1, syscall.SIGCONT)
	return 0
}

// flagFile creates (or truncates) path, open-trunc style, and gives it mode
// 0100, the owner-x bit runit tests.
func flagFile(path string) error {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_TRUNC|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	return syscall.Fchmod(fd, 0o100)
}
