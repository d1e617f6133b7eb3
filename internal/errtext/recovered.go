package errtext

// Recovered returns the text of a value that recover returned, for the
// tools that report a bug instead of dying of it (runsv, the supervisor
// host, runit as PID 1). It is what fmt's %v printed, without fmt (see
// internal/hexbytes for why the tools go without it), for every value Go
// panics with: a runtime error or any other error gives Error(), a string
// itself, a fmt.Stringer String(). No code of ours panics with anything
// else; such a value gets a fixed text, since spelling an arbitrary value
// is fmt's job. A method that panics in turn gets a fixed text too, so that
// reporting a bug cannot crash the process fmt kept alive.
func Recovered(v any) (text string) {
	defer func() {
		if recover() != nil {
			text = "panic value whose method panics"
		}
	}()
	switch v := v.(type) {
	case error:
		return v.Error()
	case interface{ String() string }:
		return v.String()
	case string:
		return v
	}
	return "panic value of a type that is not an error or a string"
}
