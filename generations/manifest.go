package generations

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"io/fs"
	"sort"
)

// Manifest is a planned generation: everything the planner decides, and
// everything the store needs to build it. It holds no time and no machine
// details, so the same description gives the same Manifest everywhere.
type Manifest struct {
	Services  []Service     `json:"services"`  // sorted by Name
	Runlevels []Runlevel    `json:"runlevels"` // sorted by Name
	Files     []ManagedFile `json:"files"`     // sorted by Path
	Boot      []Entry       `json:"boot"`      // stage scripts etc/runit/{1,2,3,ctrlaltdel}, sorted by Path

	// The machine around the services, set up at activation before any
	// service starts (accounts.go, directories.go, mounts.go). Left out
	// of the JSON when empty, so that a description without them keeps
	// the generation hash it had before they existed.
	Groups      []Group     `json:"groups,omitempty"`      // sorted by Name
	Users       []User      `json:"users,omitempty"`       // sorted by Name
	Directories []Directory `json:"directories,omitempty"` // sorted by Path
	Mounts      []Mount     `json:"mounts,omitempty"`      // sorted by Path
}

// Group is a group the generation makes exist in etc/group and etc/gshadow.
type Group struct {
	Name   string  `json:"name"`
	System bool    `json:"system,omitempty"` // a gid from SystemIDs when none is given
	GID    *uint32 `json:"gid,omitempty"`    // nil: the recorded one, else a free one
}

// User is an account the generation makes exist in etc/passwd and
// etc/shadow. Every field is resolved (the planner fills the defaults);
// the primary group is a name, resolved to its gid at activation.
type User struct {
	Name        string   `json:"name"`
	System      bool     `json:"system,omitempty"` // a uid from SystemIDs when none is given
	UID         *uint32  `json:"uid,omitempty"`    // nil: the recorded one, else a free one
	Group       string   `json:"group"`
	Groups      []string `json:"groups,omitempty"` // supplementary, sorted
	Home        string   `json:"home"`
	CreateHome  bool     `json:"create_home,omitempty"`
	Shell       string   `json:"shell"`
	Description string   `json:"description,omitempty"`
}

// Directory is a folder created or corrected at activation.
type Directory struct {
	Path  string      `json:"path"`            // absolute, inside ROOT
	Owner string      `json:"owner,omitempty"` // a name or a number; "" is root
	Group string      `json:"group,omitempty"` // "" is the owner's primary group
	Mode  fs.FileMode `json:"mode"`            // permission bits, setuid, setgid and sticky included
}

// Mount is a file system mounted at activation (and at boot by stage 1).
type Mount struct {
	Path    string       `json:"path"` // absolute, inside ROOT
	Type    string       `json:"type"`
	Source  string       `json:"source"`
	Options []string     `json:"options,omitempty"` // mount -o's, in order
	Owner   string       `json:"owner,omitempty"`   // of the mounted root; "" leaves it
	Group   string       `json:"group,omitempty"`
	Mode    *fs.FileMode `json:"mode,omitempty"`
}

// Service is one service directory of the store.
type Service struct {
	Name string  `json:"name"` // may contain no '/' and may not start with '.'
	Tree []Entry `json:"tree"` // sorted by Path; relative slash paths: run, log/run, env/PGPORT
	// Origin says where the service was declared ("main.hcl:5"), for
	// people. It is recorded but hashed nowhere, neither in the store hash
	// nor in the generation hash: moving a block to another line or file
	// changes no meaning, so it restarts nothing.
	Origin string `json:"origin,omitempty"`
}

// Runlevel is one runlevel folder: the names of the services linked in it.
type Runlevel struct {
	Name     string   `json:"name"`
	Services []string `json:"services"` // sorted
}

// ManagedFile is a file sysconf manages under ROOT, such as /etc/conf.d/pg_shm.
type ManagedFile struct {
	Path    string      `json:"path"` // absolute, inside ROOT
	Mode    fs.FileMode `json:"mode"`
	Owner   string      `json:"owner,omitempty"`
	Group   string      `json:"group,omitempty"`
	Content []byte      `json:"content"`
}

// Entry is one file, folder or link of a tree.
type Entry struct {
	Path    string      `json:"path"`
	Mode    fs.FileMode `json:"mode"`    // permission bits, plus fs.ModeDir or fs.ModeSymlink
	Content []byte      `json:"content"` // file content or link target; empty for a folder
}

// nixBase32 is the lowercase alphabet Nix uses for store hashes (no e o u t).
var nixBase32 = base32.NewEncoding("0123456789abcdfghijklmnpqrsvwxyz").WithPadding(base32.NoPadding)

// Hash returns the store hash of s: 32 characters covering its name and its
// whole tree, and nothing else (not its Origin), so changing one service changes one hash.
func (s Service) Hash() string {
	h := sha256.New()
	writeField(h, []byte("sysconf-service-v1"))
	writeField(h, []byte(s.Name))
	entries := append([]Entry(nil), s.Tree...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	for _, e := range entries {
		writeField(h, []byte(e.Path))
		var mode [4]byte
		binary.BigEndian.PutUint32(mode[:], uint32(e.Mode))
		writeField(h, mode[:])
		writeField(h, e.Content)
	}
	return nixBase32.EncodeToString(h.Sum(nil)[:20])
}

// StoreName returns the service's store entry name, "<hash>-<name>".
func (s Service) StoreName() string { return s.Hash() + "-" + s.Name }

// writeField writes a length-prefixed field, so that no two different
// sequences of fields hash alike.
func writeField(h interface{ Write([]byte) (int, error) }, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}
