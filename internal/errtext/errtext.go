// Package errtext turns errors into the errno texts that runit 2.1.2 prints
// ("file does not exist", "temporary failure", …). They are djb's strings, not
// strerror(3)'s, and scripts match on them, so every runit tool formats the
// cause of a message through Text, and a recovered panic through Recovered.
package errtext

import (
	"errors"
	"syscall"
)

// Text returns runit's text for the errno inside err, "unknown error" for an
// errno runit does not name, and err.Error() when err carries no errno at all.
func Text(err error) string {
	if err == nil {
		t, _ := text(0)
		return t
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	if t, ok := text(errno); ok {
		return t
	}
	return "unknown error"
}
