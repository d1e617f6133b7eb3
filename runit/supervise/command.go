package supervise

// Command is one byte written to supervise/control (spec/runit.md §2.7).
type Command byte

// The command bytes runsv understands. Any other byte is ignored by it.
const (
	CmdUp        Command = 'u'
	CmdDown      Command = 'd'
	CmdOnce      Command = 'o'
	CmdExit      Command = 'x'
	CmdTerm      Command = 't'
	CmdKill      Command = 'k'
	CmdPause     Command = 'p'
	CmdCont      Command = 'c'
	CmdAlarm     Command = 'a'
	CmdHangup    Command = 'h'
	CmdInterrupt Command = 'i'
	CmdQuit      Command = 'q'
	CmdUSR1      Command = '1'
	CmdUSR2      Command = '2'
)
