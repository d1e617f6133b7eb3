// Package supervise owns runit 2.1.2's supervise/ protocol, the surface that
// runit's own tools, daemontools-style tools and sysconf's runit share.
//
// It knows the byte layout of supervise/status (Status), the text of
// supervise/stat and supervise/pid, the TAI64N time stamps (TAI64N), the
// command bytes of supervise/control (Command) and how a client talks to a
// supervisor through the ok and control FIFOs (Probe, ReadStatus, Send). It
// does not supervise anything: the state machine lives in runit/runsv.
//
// Start with Status; the contract is spec/runit.md §1.
package supervise
