// Command ptyhold is a terminal for the getty test: it opens a new
// pseudo-terminal, links LINK (such as /dev/ttyT0) to its slave, and
// appends everything written to the terminal to OUT until it is killed.
//
//	ptyhold LINK OUT
package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ptyhold LINK OUT")
		os.Exit(100)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "ptyhold:", err)
		os.Exit(111)
	}
}

func run(link, out string) error {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("pts number: %w", err)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if err := os.Symlink(fmt.Sprintf("/dev/pts/%d", n), link); err != nil {
		return err
	}
	// EIO means no process has the slave open: the getty is restarting.
	buf := make([]byte, 4096)
	for {
		k, err := m.Read(buf)
		if k > 0 {
			if _, err := f.Write(buf[:k]); err != nil {
				return err
			}
		}
		if err != nil {
			unix.Nanosleep(&unix.Timespec{Nsec: 50e6}, nil)
		}
	}
}
