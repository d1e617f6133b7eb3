// Package modules embeds the HCL modules shipped with sysconf, one folder
// per module: a config.Options.Modules for module blocks whose source is a
// bare name ("getty").
package modules

import "embed"

// FS holds every shipped module as NAME/*.hcl.
//
//go:embed cron getty pg_shm postgresql socklog sshd user_services x_session
var FS embed.FS
