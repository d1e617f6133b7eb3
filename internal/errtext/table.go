// The table of spec/runit.md §0.4: runit's djb-style errno texts, which are
// part of every message the tools print and so of their compatibility.

package errtext

import "syscall"

// text is the table as a switch: a map would be built at every start of
// every runit program, and most never print an errno.
func text(errno syscall.Errno) (string, bool) {
	switch errno {
	case 0:
		return "no error", true
	case syscall.EINTR:
		return "interrupted system call", true
	case syscall.ENOMEM:
		return "out of memory", true
	case syscall.ENOENT:
		return "file does not exist", true
	case syscall.ETXTBSY:
		return "text busy", true
	case syscall.EIO:
		return "input/output error", true
	case syscall.EEXIST:
		return "file already exists", true
	case syscall.ETIMEDOUT:
		return "timed out", true
	case syscall.EINPROGRESS:
		return "operation in progress", true
	case syscall.EAGAIN:
		return "temporary failure", true
	case syscall.EPIPE:
		return "broken pipe", true
	case syscall.EPERM:
		return "permission denied", true
	case syscall.EACCES:
		return "access denied", true
	case syscall.ENXIO:
		return "device not configured", true
	case syscall.EPROTO:
		return "protocol error", true
	case syscall.EISDIR:
		return "is a directory", true
	case syscall.ECONNREFUSED:
		return "connection refused", true
	case syscall.ENOTDIR:
		return "not a directory", true
	case syscall.ESRCH:
		return "no such process", true
	case syscall.E2BIG:
		return "argument list too long", true
	case syscall.ENOEXEC:
		return "exec format error", true
	case syscall.EBADF:
		return "file descriptor not open", true
	case syscall.ECHILD:
		return "no child processes", true
	case syscall.EDEADLK:
		return "operation would cause deadlock", true
	case syscall.EFAULT:
		return "bad address", true
	case syscall.ENOTBLK:
		return "not a block device", true
	case syscall.EBUSY:
		return "device busy", true
	case syscall.EXDEV:
		return "cross-device link", true
	case syscall.ENODEV:
		return "device does not support operation", true
	case syscall.EINVAL:
		return "invalid argument", true
	case syscall.ENFILE:
		return "system cannot open more files", true
	case syscall.EMFILE:
		return "process cannot open more files", true
	case syscall.ENOTTY:
		return "not a tty", true
	case syscall.EFBIG:
		return "file too big", true
	case syscall.ENOSPC:
		return "out of disk space", true
	case syscall.ESPIPE:
		return "unseekable descriptor", true
	case syscall.EROFS:
		return "read-only file system", true
	case syscall.EMLINK:
		return "too many links", true
	case syscall.EDOM:
		return "input out of range", true
	case syscall.ERANGE:
		return "output out of range", true
	case syscall.EALREADY:
		return "operation already in progress", true
	case syscall.ENOTSOCK:
		return "not a socket", true
	case syscall.EDESTADDRREQ:
		return "destination address required", true
	case syscall.EMSGSIZE:
		return "message too long", true
	case syscall.EPROTOTYPE:
		return "incorrect protocol type", true
	case syscall.ENOPROTOOPT:
		return "protocol not available", true
	case syscall.EPROTONOSUPPORT:
		return "protocol not supported", true
	case syscall.ESOCKTNOSUPPORT:
		return "socket type not supported", true
	case syscall.EOPNOTSUPP:
		return "operation not supported", true
	case syscall.EPFNOSUPPORT:
		return "protocol family not supported", true
	case syscall.EAFNOSUPPORT:
		return "address family not supported", true
	case syscall.EADDRINUSE:
		return "address already used", true
	case syscall.EADDRNOTAVAIL:
		return "address not available", true
	case syscall.ENETDOWN:
		return "network down", true
	case syscall.ENETUNREACH:
		return "network unreachable", true
	case syscall.ENETRESET:
		return "network reset", true
	case syscall.ECONNABORTED:
		return "connection aborted", true
	case syscall.ECONNRESET:
		return "connection reset", true
	case syscall.ENOBUFS:
		return "out of buffer space", true
	case syscall.EISCONN:
		return "already connected", true
	case syscall.ENOTCONN:
		return "not connected", true
	case syscall.ESHUTDOWN:
		return "socket shut down", true
	case syscall.ETOOMANYREFS:
		return "too many references", true
	case syscall.ELOOP:
		return "symbolic link loop", true
	case syscall.ENAMETOOLONG:
		return "file name too long", true
	case syscall.EHOSTDOWN:
		return "host down", true
	case syscall.EHOSTUNREACH:
		return "host unreachable", true
	case syscall.ENOTEMPTY:
		return "directory not empty", true
	case syscall.EUSERS:
		return "too many users", true
	case syscall.EDQUOT:
		return "disk quota exceeded", true
	case syscall.ESTALE:
		return "stale NFS file handle", true
	case syscall.EREMOTE:
		return "too many levels of remote in path", true
	case syscall.ENOLCK:
		return "no locks available", true
	case syscall.ENOSYS:
		return "system call not available", true
	case syscall.ENOSTR:
		return "not a stream device", true
	case syscall.ETIME:
		return "timer expired", true
	case syscall.ENOSR:
		return "out of stream resources", true
	case syscall.ENOMSG:
		return "no message of desired type", true
	case syscall.EBADMSG:
		return "bad message type", true
	case syscall.EIDRM:
		return "identifier removed", true
	case syscall.ENONET:
		return "machine not on network", true
	case syscall.ENOLINK:
		return "link severed", true
	case syscall.EADV:
		return "advertise error", true
	case syscall.ESRMNT:
		return "srmount error", true
	case syscall.ECOMM:
		return "communication error", true
	case syscall.EMULTIHOP:
		return "multihop attempted", true
	case syscall.EREMCHG:
		return "remote address changed", true
	}
	return "", false
}
