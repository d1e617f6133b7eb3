//go:build !386 && !arm

package chpst

import "syscall"

// System call numbers of the 32-bit-id credential calls.
const (
	sysSetgroups = syscall.SYS_SETGROUPS
	sysSetgid    = syscall.SYS_SETGID
	sysSetuid    = syscall.SYS_SETUID
)
