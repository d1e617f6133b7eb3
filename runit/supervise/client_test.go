package supervise

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPath(t *testing.T) {
	tests := []struct{ dir, name, want string }{
		{"", StatusFile, "supervise/status"},
		{"log", ControlFIFO, "log/supervise/control"},
		{"a/../b", OkFIFO, "a/../b/supervise/ok"},
		{"/s/", LockFile, "/s//supervise/lock"},
	}
	for _, tt := range tests {
		if got := Path(tt.dir, tt.name); got != tt.want {
			t.Errorf("Path(%q, %q) = %q, want %q", tt.dir, tt.name, got, tt.want)
		}
	}
	if got := StateDirName("web"); got != "supervise.web" {
		t.Errorf("StateDirName = %q", got)
	}
	if got := LogStateDirName("web"); got != "supervise.web-log" {
		t.Errorf("LogStateDirName = %q", got)
	}
}

// superviseDir makes dir/supervise and returns dir.
func superviseDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, DirName), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestProbe(t *testing.T) {
	dir := superviseDir(t)
	err := Probe(dir)
	if !errors.Is(err, ErrNoService) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Probe without ok = %v, want ErrNoService wrapping ENOENT", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "open" || e.Path != Path(dir, OkFIFO) || e.Err != syscall.ENOENT {
		t.Errorf("Probe error = %#v", err)
	}
	ok := filepath.Join(dir, DirName, OkFIFO)
	if err := unix.Mkfifo(ok, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Probe(dir); err != ErrNotRunning {
		t.Errorf("Probe without reader = %v, want ErrNotRunning", err)
	}
	if _, err := ReadStatus(dir); err != ErrNotRunning {
		t.Errorf("ReadStatus without reader = %v, want ErrNotRunning", err)
	}
	r, err := unix.Open(ok, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(r)
	if err := Probe(dir); err != nil {
		t.Errorf("Probe with reader = %v", err)
	}
	// The status file is missing: not ErrNoService, which is about the
	// supervisor's FIFOs.
	_, err = ReadStatus(dir)
	if errors.Is(err, ErrNoService) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadStatus without status = %v", err)
	}
}

// TestReadRecordShort keeps runit's sv behaviour: a short read is
// ErrBadFormat and leaves the new bytes over the old ones.
func TestReadRecordShort(t *testing.T) {
	dir := superviseDir(t)
	rec := Record{}
	for i := range rec {
		rec[i] = 0xaa
	}
	if err := os.WriteFile(Path(dir, StatusFile), []byte{1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	err := ReadRecordAt(unix.AT_FDCWD, dir, &rec)
	var e *Error
	if !errors.As(err, &e) || e.Op != "read" || !errors.Is(err, ErrBadFormat) {
		t.Fatalf("ReadRecordAt(3 bytes) = %v", err)
	}
	if rec[0] != 1 || rec[2] != 3 || rec[3] != 0xaa || rec[19] != 0xaa {
		t.Errorf("record after a short read = %x", rec)
	}
	// A longer file is read as its first 20 bytes, as sv reads it.
	long := make([]byte, StatusSize+5)
	long[19] = byte(StateRun)
	os.WriteFile(Path(dir, StatusFile), long, 0o644)
	if err := ReadRecordAt(unix.AT_FDCWD, dir, &rec); err != nil || rec.Status().State != StateRun {
		t.Errorf("ReadRecordAt(25 bytes) = %v, %+v", err, rec.Status())
	}
	if _, err := ReadStatusFile(dir); err != nil {
		t.Errorf("ReadStatusFile(25 bytes) = %v", err)
	}
}

func TestReadRecordAt(t *testing.T) {
	dir := superviseDir(t)
	os.Mkdir(filepath.Join(dir, "log"), 0o755)
	os.Mkdir(filepath.Join(dir, "log", DirName), 0o700)
	want := Status{PID: 42, Want: WantDown, TermSent: true, State: StateRun}
	b, _ := want.MarshalBinary()
	if err := os.WriteFile(filepath.Join(dir, "log", DirName, StatusFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var rec Record
	if err := ReadRecordAt(fd, "log", &rec); err != nil {
		t.Fatal(err)
	}
	if got := rec.Status(); got != want || rec.TermByte() != 1 {
		t.Errorf("read %+v (term byte %d), want %+v", got, rec.TermByte(), want)
	}
	err = ReadRecordAt(fd, "", &rec)
	var e *Error
	if !errors.As(err, &e) || e.Op != "open" || e.Path != "supervise/status" || e.Err != syscall.ENOENT {
		t.Errorf("ReadRecordAt(no status) = %v", err)
	}
}

func TestSendAt(t *testing.T) {
	dir := superviseDir(t)
	if err := SendAt(unix.AT_FDCWD, dir, "u"); !errors.Is(err, ErrNoService) {
		t.Errorf("SendAt without control = %v, want ErrNoService", err)
	}
	ctl := Path(dir, ControlFIFO)
	if err := unix.Mkfifo(ctl, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SendAt(unix.AT_FDCWD, dir, "u"); err != ErrNotRunning {
		t.Errorf("SendAt without reader = %v, want ErrNotRunning", err)
	}
	r, err := unix.Open(ctl, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(r)
	if err := SendAt(unix.AT_FDCWD, dir, "tcu"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	n, _ := unix.Read(r, buf)
	if string(buf[:n]) != "tcu" {
		t.Errorf("the supervisor read %q, want \"tcu\"", buf[:n])
	}
}

func TestWriteState(t *testing.T) {
	dir := superviseDir(t)
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := WriteState(fd, "", StatFile, []byte("run\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(Path(dir, StatFile)); string(b) != "run\n" {
		t.Errorf("stat = %q", b)
	}
	if _, err := os.Stat(Path(dir, StatFile) + ".new"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat.new left behind: %v", err)
	}
	if err := WriteState(fd, "", PIDFile, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(Path(dir, PIDFile)); err != nil || fi.Size() != 0 {
		t.Errorf("empty pid: %v %v", fi, err)
	}
	// The log's directory is missing: runit's messages.
	err = WriteState(fd, "log", StatusFile, make([]byte, StatusSize))
	var e *StateError
	if !errors.As(err, &e) || e.Op != "open" || e.Object != "log/supervise/status.new" {
		t.Errorf("WriteState(log) = %v", err)
	}
	// A rename onto a directory fails: runit names the renamed file
	// without its directory.
	os.Mkdir(Path(dir, StatusFile), 0o700)
	os.WriteFile(filepath.Join(Path(dir, StatusFile), "x"), nil, 0o644)
	err = WriteState(fd, "", StatusFile, make([]byte, StatusSize))
	if !errors.As(err, &e) || e.Op != "rename" || e.Object != "status.new to supervise/status" {
		t.Errorf("WriteState(rename onto a directory) = %v", err)
	}
}

func TestProbeState(t *testing.T) {
	state := filepath.Join(t.TempDir(), StateDirName("web"))
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := ProbeState(state); !errors.Is(err, ErrNoService) {
		t.Errorf("ProbeState without ok = %v, want ErrNoService", err)
	}
	ok := filepath.Join(state, OkFIFO)
	unix.Mkfifo(ok, 0o600)
	if err := ProbeState(state); err != ErrNotRunning {
		t.Errorf("ProbeState without reader = %v, want ErrNotRunning", err)
	}
	r, err := unix.Open(ok, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(r)
	if err := ProbeState(state); err != nil {
		t.Errorf("ProbeState with reader = %v", err)
	}
}
