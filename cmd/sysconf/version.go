package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is sysconf's version as the Go toolchain stamped it into the
// binary: the module version ("v1.2.0" from go install sysconf@v1.2.0, or a
// pseudo-version such as "v0.0.0-20261206235309-78d4b78c1a2b+dirty" when
// built in a checkout), "(devel)" when there is none. Every generation's
// manifest.json records it, and --version prints it, so the two agree.
var version = buildVersion()

func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" {
		return "(devel)"
	}
	return bi.Main.Version
}

// versionText is what --version prints: the version, then the VCS revision
// and commit time when the binary was built from a checkout (a test binary
// and a build with -buildvcs=false have none), then the Go release.
func versionText() string {
	s := "sysconf " + version + "\n"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return s
	}
	var rev, at, modified string
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			at = kv.Value
		case "vcs.modified":
			if kv.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	if rev != "" {
		s += fmt.Sprintf("revision %s%s %s\n", rev, modified, at)
	}
	return s + "built with " + bi.GoVersion + "\n"
}

// addVersion gives root a --version flag. sysconf declares the flag itself
// so that cobra adds no -v shorthand, which stays free for a verbose flag.
func addVersion(root *cobra.Command) {
	root.Version = version
	root.SetVersionTemplate(versionText())
	root.Flags().Bool("version", false, "print the version, the VCS revision and the Go release")
}
