package generations

import "errors"

// Errors callers branch on with errors.Is.
var (
	ErrNotFound  = errors.New("no such generation")
	ErrCorrupt   = errors.New("store entry differs from its description")
	ErrUnmanaged = errors.New("file exists and is not managed by sysconf")
	ErrLocked    = errors.New("another sysconf apply is running")
	ErrInvalid   = errors.New("invalid manifest")
	ErrNoCurrent = errors.New("no current generation")
)
