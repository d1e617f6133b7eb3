package reaper

import (
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Every test shares one Reaper: a second wait4(-1) loop in the same
// process would steal the first one's statuses (the bug this package
// exists to avoid). Orphans go to the orphans channel.
var (
	testOnce   sync.Once
	testReaper *Reaper
	orphans    = make(chan Exit, 16)
)

func shared() *Reaper {
	testOnce.Do(func() { testReaper = New(func(e Exit) { orphans <- e }) })
	return testReaper
}

func TestStartDeliversStatus(t *testing.T) {
	r := shared()
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
	var dones []<-chan syscall.WaitStatus
	for i := 0; i < 50; i++ {
		_, done, err := r.Start("/bin/sh", []string{"sh", "-c", "exit 7"}, attr)
		if err != nil {
			t.Fatal(err)
		}
		dones = append(dones, done)
	}
	for _, done := range dones {
		select {
		case ws := <-done:
			if ws.ExitStatus() != 7 {
				t.Errorf("exit status %d, want 7", ws.ExitStatus())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no status within 10s")
		}
	}
}

func TestOrphansGoToHandler(t *testing.T) {
	r := shared()
	// A child started behind the reaper's back stands for an orphan.
	pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 3"}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	r.Reap()
	select {
	case e := <-orphans:
		if e.PID != pid || e.Status.ExitStatus() != 3 {
			t.Errorf("orphan %+v, want pid %d status 3", e, pid)
		}
	case <-time.After(10 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("orphan not reported within 10s")
	}
}

// Many goroutines start children that exit at once: each status reaches its
// own Start's channel, none is taken for an orphan, and the starts overlap.
func TestConcurrentStartsOfInstantExits(t *testing.T) {
	r := shared()
	before := len(orphans)
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				code := (g*10 + i) % 200
				_, done, err := r.Start("/bin/sh", []string{"sh", "-c", "exit " + strconv.Itoa(code)}, attr)
				if err != nil {
					errs <- err.Error()
					return
				}
				select {
				case ws := <-done:
					if ws.ExitStatus() != code {
						errs <- "exit " + strconv.Itoa(ws.ExitStatus()) + ", want " + strconv.Itoa(code)
					}
				case <-time.After(20 * time.Second):
					errs <- "no status within 20s"
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(orphans) - before; n != 0 {
		t.Errorf("%d of our own children were reported as orphans", n)
	}
}
