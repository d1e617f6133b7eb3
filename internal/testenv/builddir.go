package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// staleAfter is the age past which a build folder nobody used is removed.
const staleAfter = 24 * time.Hour

// SharedBuildDir returns a folder under os.TempDir holding what fill
// writes (programs built for the tests), named after a hash of its content:
// PREFIX-HASH. Test processes that build the same programs share one folder
// instead of each leaving its own behind, and folders of PREFIX unused for a
// day (older builds) are removed. fill writes into an empty folder, which is
// then renamed into place; the folder is readable by every account, as
// /usr/bin is.
func SharedBuildDir(prefix string, fill func(dir string) error) (string, error) {
	tmp, err := os.MkdirTemp("", prefix+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // gone once renamed; left over only on failure
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := fill(tmp); err != nil {
		return "", err
	}
	sum, err := hashTree(tmp)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), prefix+"-"+sum)
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, fs.ErrExist) && !errors.Is(err, syscall.ENOTEMPTY) {
		return "", err
	}
	// Another test process may have put the same build in place first
	// (rename(2) then fails with ENOTEMPTY): its folder serves as well. Mark it used, and prune the stale ones.
	now := time.Now()
	if err := os.Chtimes(dir, now, now); err != nil {
		return "", err
	}
	pruneBuilds(prefix, dir, now)
	return dir, nil
}

// hashTree returns a short hash of the names, modes, link targets and
// contents below dir.
func hashTree(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h.Write([]byte(rel + "\x00" + info.Mode().String() + "\x00"))
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			h.Write([]byte(target))
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		h.Write([]byte{0})
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// pruneBuilds removes the folders PREFIX-* other than keep that nobody
// has used for staleAfter.
func pruneBuilds(prefix, keep string, now time.Time) {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"-*"))
	for _, d := range old {
		if d == keep {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && now.Sub(fi.ModTime()) > staleAfter {
			os.RemoveAll(d)
		}
	}
}
