package main

import (
	"sort"

	"sysconf/config"
)

// vmConsoleService is the service build-vm adds to a VM: a root shell on
// the serial console, without a password. The VM is a throw-away machine
// that only its user reaches (qemu's stdio), so a login prompt would only
// be in the way; a description turns it off with boot { vm_console =
// false }. busybox getty (-n: no login name, -l: run sh instead of login)
// makes ttyS0 the shell's controlling terminal, so that Ctrl-C and job
// control work; when the shell exits, runsv starts a fresh one. An
// interactive shell ignores TERM: HUP, what a hangup sends, stops it.
const vmConsoleService = "console"

const vmConsoleRun = `#!/bin/sh
cd /root
printf '\r\n%s\r\n%s\r\n' \
  "sysconf VM: a root shell on the serial console (boot { vm_console = false } leaves it out)." \
  "Try: sysconf status, sv status /service/*, sysconf timeline --boot. Leave: runit-init 0, or Ctrl-a x." >/dev/ttyS0
exec getty -L -n -i -l /bin/sh 0 ttyS0 vt100
`

// vmConsoleApplets are the busybox applets the console service needs.
var vmConsoleApplets = []string{"getty", "printf"}

// addVMConsole adds the console service to sys and to each of its
// runlevels, unless the description turns it off or has a service of that
// name (its own console, which wins). It reports whether it added it.
func addVMConsole(sys *config.System) bool {
	if sys.Boot != nil && sys.Boot.NoVMConsole {
		return false
	}
	for _, s := range sys.Services {
		if s.Name == vmConsoleService {
			return false
		}
	}
	sys.Services = append(sys.Services, &config.Service{
		Name: vmConsoleService, Run: vmConsoleRun, Enabled: true,
		Env:         map[string]string{"HOME": "/root", "PS1": `\h:\w\$ `},
		StopTimeout: config.DefaultStopTimeout, StopSignal: "HUP",
	})
	sort.Slice(sys.Services, func(i, j int) bool { return sys.Services[i].Name < sys.Services[j].Name })
	for _, r := range sys.Runlevels {
		r.Services = append(r.Services, vmConsoleService)
		sort.Strings(r.Services)
	}
	return true
}
