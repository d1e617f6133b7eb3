package main

import (
	"regexp"
	"strings"
	"testing"
)

// cgroupBoot relies on the generated stage 1 to mount cgroup v2 and create
// the sysconf subtree (what turns containment on), and declares a service whose
// escaper leaves its process group and session, and a test, typed on the
// console once every service runs, that reads the cgroups, stops the
// service and powers off.
const cgroupBoot = `
service "contained" {
  stop_timeout = "1s"
  limits {
    memory_max = "64MB"
    pids_max   = 50
    cpu_weight = 50
  }
  run = <<-EOT
    #!/bin/sh
    trap '' TERM
    busybox setsid sh -c 'echo $$ > /run/escaper.new && mv /run/escaper.new /run/escaper; exec sleep 100000' &
    exec sleep 100000
  EOT
}

service "cgtest" {
  enabled = false
  run = <<-EOT
    #!/bin/sh
    exec >/dev/console 2>&1
    d=/service/contained
    while [ ! -s /run/escaper ]; do sleep 0.1; done
    pid=$(cat $d/supervise/pid)
    esc=$(cat /run/escaper)
    cg=/sys/fs/cgroup/sysconf/contained
    echo "CGFILE $(cat $d/supervise/cgroup)"
    echo "RUN-CG $(cat /proc/$pid/cgroup)"
    echo "ESCAPER-SID $(cut -d' ' -f6 /proc/$esc/stat) RUN-SID $(cut -d' ' -f6 /proc/$pid/stat)"
    echo "ESCAPER-CG $(cat /proc/$esc/cgroup)"
    echo "LIMITS $(cat $cg/memory.max) $(cat $cg/pids.max) $(cat $cg/cpu.weight)"
    echo "PIDS $(cat $cg/pids.current) MEMORY-SET $([ "$(cat $cg/memory.current)" -gt 0 ] && echo yes)"
    echo "LOG-CG $(cat /sys/fs/cgroup/sysconf/greeter.log/cgroup.procs | wc -l)"
    sv -w 10 down $d
    i=0
    while kill -0 $esc 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    if kill -0 $esc 2>/dev/null; then echo ESCAPER-ALIVE; else echo ESCAPER-GONE; fi
    echo "TASKS-LEFT $(cat $cg/cgroup.procs | wc -l)"
    exec runit-init 0
  EOT
}
`

// TestBuildVMCgroups boots the example machine with cgroup v2 and the
// sysconf subtree: each service runs in its own cgroup, with its limits
// written there, and the stop escalation of a service that ignores TERM
// kills its whole cgroup, also a child that left its process group and
// session, which a process-group kill would miss.
func TestBuildVMCgroups(t *testing.T) {
	kernel := requireVM(t)
	console, code := bootExample(t, kernel, "true", cgroupBoot,
		consoleStep{"ALL-SERVICES-UP", "sysconf status | sed 's/^/ST-/'; echo STATUS-$((1+1))\n"},
		consoleStep{"STATUS-2", "/etc/sv/cgtest/run\n"})
	if !regexp.MustCompile(`(?m)^ST-contained +run +[0-9]+ .*memory [0-9.]+MiB, 2 tasks`).MatchString(console) {
		t.Errorf("sysconf status in the VM shows no memory and task count for contained")
	}
	if strings.Contains(console, "ST-note: no service has a cgroup") {
		t.Errorf("sysconf status in the VM says no service has a cgroup")
	}
	wantConsole(t, console, code,
		"CGFILE /sys/fs/cgroup/sysconf/contained\n",
		"RUN-CG 0::/sysconf/contained\n",
		"ESCAPER-CG 0::/sysconf/contained\n",
		"LIMITS 67108864 50 50\n",
		"PIDS 2 MEMORY-SET yes\n", // what sysconf status shows
		"LOG-CG 1\n",              // greeter's svlogd, in greeter.log
		"ok: down: /service/contained: ",
		"ESCAPER-GONE\n",
		"TASKS-LEFT 0\n",
		"- runit: power off...",
	)
}
