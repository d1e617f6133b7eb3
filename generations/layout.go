package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Paths relative to the root (--root) of the machine sysconf manages.
const (
	StateDir    = "var/lib/sysconf"
	StoreDir    = StateDir + "/store"
	GenDir      = StateDir + "/generations"
	OutcomeDir  = StateDir + "/outcomes"
	LockFile    = StateDir + "/lock"
	JournalFile = StateDir + "/journal.json"
	BootLink    = StateDir + "/boot"   // -> generations/<N>: the boot default
	RunsvdirDir = "etc/runit/runsvdir" // runsvchdir's folder: current, previous, <level>
	SvLink      = "etc/sv"             // -> the current generation's sv/
	ServiceLink = "service"            // -> etc/runit/runsvdir/current, what runsvdir watches
	RunDir      = "run/runit"          // supervise.<name> state folders
)

// Errors callers branch on with errors.Is.
var (
	ErrNotFound  = errors.New("no such generation")
	ErrCorrupt   = errors.New("store entry differs from its description")
	ErrUnmanaged = errors.New("file exists and is not managed by sysconf")
	ErrLocked    = errors.New("another sysconf apply is running")
	ErrInvalid   = errors.New("invalid manifest")
	ErrNoCurrent = errors.New("no current generation")
)

// openRoot opens dir as an os.Root: every path below it is resolved without
// leaving it, so a symlink planted under --root (etc -> /etc) makes an
// operation fail instead of writing to the host.
func openRoot(dir string) (*os.Root, error) {
	if dir == "" {
		dir = "/"
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", dir, err)
	}
	return r, nil
}

// up returns the "../" prefix that leads from the folder holding rel back
// to the root: up("etc/sv") == "../".
func up(rel string) string {
	return strings.Repeat("../", strings.Count(path.Clean(rel), "/"))
}

// relLink returns the text of a relative link placed at from (a path
// relative to the root) that points at to (also relative to the root).
func relLink(from, to string) string { return up(from) + to }

// syncDir fsyncs a folder so that the renames and creations in it persist.
func syncDir(r *os.Root, dir string) error {
	f, err := r.Open(dir)
	if err != nil {
		return err
	}
	serr := f.Sync()
	if cerr := f.Close(); serr == nil {
		serr = cerr
	}
	if serr != nil {
		return fmt.Errorf("sync %s: %w", dir, serr)
	}
	return nil
}

// writeFileSync writes a new file (refusing to replace one), fsyncs it and
// closes it, checking every error on the way.
func writeFileSync(r *os.Root, name string, data []byte, perm fs.FileMode) error {
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if werr == nil {
		// The umask may have cleared bits the description asks for.
		werr = f.Chmod(perm)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", name, werr)
	}
	return nil
}

// replaceLink points the link name at target in one rename(2): it writes
// name.sysconf-new and renames it over name.
func replaceLink(r *os.Root, target, name string) error {
	tmp := name + ".sysconf-new"
	if err := r.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := r.Symlink(target, tmp); err != nil {
		return err
	}
	if err := r.Rename(tmp, name); err != nil {
		return err
	}
	return nil
}

// makeWritable gives the owner write permission back on a read-only tree so
// that it can be removed (gc, a failed build) by a user who is not root.
func makeWritable(r *os.Root, dir string) {
	_ = fs.WalkDir(r.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = r.Chmod(p, 0o755)
		}
		return nil
	})
}
