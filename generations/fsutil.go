package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
)

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

// replaceFile replaces name with data durably: it writes name.new,
// fsyncs it, renames it over name and fsyncs the folder, so that a crash
// leaves the old content or the new one, never a mixture.
func replaceFile(r *os.Root, name string, data []byte, perm fs.FileMode) error {
	tmp := name + ".new"
	if err := r.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := writeFileSync(r, tmp, data, perm); err != nil {
		return err
	}
	if err := r.Rename(tmp, name); err != nil {
		return err
	}
	return syncDir(r, path.Dir(name))
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
