package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"
)

// ensureDirectories creates m's directories that are missing (parents as
// root's, 0755) and corrects the owner, group and mode of every one. A
// directory is never removed: its files are not sysconf's.
func (g *Root) ensureDirectories(m Manifest) error {
	if len(m.Directories) == 0 {
		return nil
	}
	r := g.r
	users, groups, err := g.accountIDs()
	if err != nil {
		return err
	}
	for _, d := range m.Directories {
		rel := strings.TrimPrefix(d.Path, "/")
		uid, gid, err := g.owner(d.Owner, d.Group, users, groups)
		if err != nil {
			return fmt.Errorf("directory %s: %w", d.Path, err)
		}
		if err := r.MkdirAll(path.Dir(rel), 0o755); err != nil {
			return fmt.Errorf("directory %s: %w", d.Path, err)
		}
		if err := r.Mkdir(rel, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("directory %s: %w", d.Path, err)
		}
		fi, err := r.Lstat(rel)
		if err != nil {
			return fmt.Errorf("directory %s: %w", d.Path, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("directory %s: %w: it exists and is not a folder", d.Path, ErrUnmanaged)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != uid || int(st.Gid) != gid {
			if err := r.Lchown(rel, uid, gid); err != nil {
				return fmt.Errorf("directory %s: %w", d.Path, err)
			}
		}
		// Always, and after chown, which may clear setuid and setgid.
		if err := r.Chmod(rel, d.Mode); err != nil {
			return fmt.Errorf("directory %s: %w", d.Path, err)
		}
	}
	return nil
}
