package config

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// Schemas returns the schema of every block body Load decodes with a fixed
// schema, keyed by the block's path: "" for a file's top level, then
// "service", "service.log", "variable.validation" and so on. These are the
// loader's own values, so the language reference (docs/reference.md) is
// tested against what Load really accepts; callers must not modify them.
// The bodies that take any attribute name are in OpenBlocks instead.
func Schemas() map[string]*hcl.BodySchema {
	return map[string]*hcl.BodySchema{
		"":                    topSchema,
		"service":             serviceSchema,
		"service.limits":      limitsSchema,
		"service.log":         logSchema,
		"service.restart":     restartSchema,
		"service.file":        treeFileSchema,
		"file":                fileSchema,
		"runlevel":            runlevelSchema,
		"output":              outputSchema,
		"variable":            variableSchema,
		"variable.validation": validationSchema,
		"boot":                bootSchema,
		"group":               groupSchema,
		"user":                userSchema,
		"directory":           directorySchema,
		"mount":               mountSchema,
		"system":              systemSchema,
		"system.stage":        stageSchema,
	}
}

// OpenBlocks returns the top-level blocks whose body takes attributes of
// any name, each with the names it gives a meaning of its own: every
// attribute of locals is a local value; module takes source, and every
// other attribute is an input variable of the module it calls.
func OpenBlocks() map[string][]string {
	return map[string][]string{
		"locals": nil,
		"module": {"source"},
	}
}

// FunctionNames returns, sorted, the name of every function an expression
// may call: the table functions builds for a module.
func FunctionNames() []string {
	fns := functions(fileReader{})
	names := make([]string, 0, len(fns))
	for n := range fns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
