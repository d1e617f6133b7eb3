package errtext

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestText(t *testing.T) {
	_, openErr := os.Open("/nonexistent/sysconf-errtext")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, "no error"},
		{"enoent", syscall.ENOENT, "file does not exist"},
		{"eagain", syscall.EAGAIN, "temporary failure"},
		{"eacces", syscall.EACCES, "access denied"},
		{"wrapped", fmt.Errorf("open x: %w", syscall.ENXIO), "device not configured"},
		{"path error", openErr, "file does not exist"},
		{"unnamed errno", syscall.Errno(133), "unknown error"},
		{"no errno", errors.New("name too long"), "name too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.err); got != tt.want {
				t.Errorf("Text(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

type stringer struct{}

func (stringer) String() string { return "a stringer" }

type panicky struct{}

func (*panicky) Error() string { panic("no text") }

// TestRecovered checks Recovered against fmt's %v, which the tools used
// before, for the values Go panics with.
func TestRecovered(t *testing.T) {
	var runtimeErr any
	func(i int) {
		defer func() { runtimeErr = recover() }()
		_ = []int{}[i]
	}(1)
	for _, v := range []any{runtimeErr, errors.New("sync: negative WaitGroup counter"), "close of nil channel", stringer{}, fmt.Errorf("wrapped: %w", syscall.EIO), ""} {
		if got, want := Recovered(v), fmt.Sprintf("%v", v); got != want {
			t.Errorf("Recovered(%#v) = %q, want %q", v, got, want)
		}
	}
	if got := Recovered(42); got != "panic value of a type that is not an error or a string" {
		t.Errorf("Recovered(42) = %q", got)
	}
	if got := Recovered(&panicky{}); got != "panic value whose method panics" {
		t.Errorf("Recovered(a panicking error) = %q", got)
	}
}
