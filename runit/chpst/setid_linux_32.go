//go:build 386 || arm

package chpst

import "syscall"

// System call numbers of the 32-bit-id credential calls (the plain ones
// take 16-bit ids on these architectures).
const (
	sysSetgroups = syscall.SYS_SETGROUPS32
	sysSetgid    = syscall.SYS_SETGID32
	sysSetuid    = syscall.SYS_SETUID32
)
