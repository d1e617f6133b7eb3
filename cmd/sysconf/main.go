// Command sysconf describes a whole runit machine in HCL, plans it into
// content-addressed generations and switches the machine between them.
//
// Usage:
//
//	sysconf validate            check a description
//	sysconf fmt [-check] [-diff] rewrite sources in canonical form
//	sysconf plan                show what applying would change
//
// Exit codes: 0 success, 1 failure (config diagnostics included), 2 usage;
// plan --detailed-exitcode gives 2 when there are changes.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
