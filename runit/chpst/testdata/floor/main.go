// Command floor is the least a Go program can do in chpst's place: start
// and exec its arguments. BenchmarkExecOverhead measures it beside chpst to
// show how much of our chpst's cost is the Go runtime's own.
package main

import (
	"os"
	"syscall"
)

func main() {
	err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	os.Stderr.WriteString("floor: " + err.Error() + "\n")
	os.Exit(111)
}
