// Package config owns sysconf's language: it parses HCL system descriptions
// and evaluates them into a plain model (System) plus hcl.Diagnostics. It
// knows nothing of the planner, the store or runit. Start with Load.
//
// # Blocks
//
// service, runlevel, file, variable, locals, output and module, as in
// DESIGN.md. A service name is 1–64 letters, digits, '_' or '-' (never '/'
// or a leading '.'), so it is a safe folder name and an HCL identifier.
//
// # References
//
// service.NAME is the service's full name as a string, so depends_on and
// runlevel services take references or plain strings alike; nested lists
// are flattened and objects (a for_each service, module.NAME.service)
// count as their values. A service with for_each (a set or list of strings, or
// a map) gives one instance per key named NAME-KEY, with each.key and
// each.value; service.NAME is then an object of key → full name.
//
// # Modules
//
// module "NAME" { source = ..., inputs… } loads a folder of HCL: source
// "./x" or "../x" is a folder relative to the calling module, any other
// string names a module shipped with sysconf (Options.Modules, the embedded
// modules/ folder). The module's services are namespaced "NAME.SERVICE"
// ('.' is never part of a declared name, so two instances never collide).
// The caller sees module.NAME.services (the sorted list of every full name
// in it), module.NAME.service.SERVICE (one of them) and module.NAME.OUTPUT
// for each output. A string naming a service is looked up first in the
// module it is written in, then as a full name, so a module given
// [service.db] from its caller resolves it. Runlevels are declared only in
// the root.
//
// # Variables
//
// Values come from defaults, then SYSCONF_VAR_NAME in the environment, then
// -var-file files, then -var NAME=VALUE, each later one winning. A
// command-line value is the string itself for a primitive type and an HCL
// expression otherwise. validation blocks may refer only to the variable.
//
// # Functions
//
// The go-cty standard library under Terraform's names, plus file,
// fileexists and templatefile rooted at the module's folder (never outside
// the configuration folder), sha256 and base64. Nothing reads a clock,
// randomness, the environment or the network, so the same sources and
// variables always give the same System.
//
// # Logs and --root
//
// A log block writes to an absolute directory as the service sees the
// machine, DefaultLogDir/NAME by default. The planner reaches it from the
// store by a relative path (the store sits at a fixed depth under ROOT), so
// the same generation logs to ROOT/var/log/sysconf/NAME under any --root;
// the generated log/run creates the directory and installs svlogd's config
// in it before starting svlogd. See package planner.
//
// # Diagnostics
//
// Every problem is an hcl.Diagnostic with the tightest Subject range and a
// stable Summary; Load keeps going after an error and reports all of them.
// File names in ranges are relative to the configuration folder; shipped
// modules show as BuiltinPrefix + "NAME/FILE".
package config
