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
