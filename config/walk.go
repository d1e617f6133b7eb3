package config

// walkDepthFirst visits every key of roots (in order) and what it depends
// on, depth first, each key once. When an edge leads back to a key still
// being visited, onCycle gets the keys of that cycle in visiting order,
// starting at the one the edge leads to; a key with such an edge is
// cyclic. done(k, cyclic) runs for each key after all its dependencies,
// so it evaluates in dependency order.
func walkDepthFirst(roots []string, deps func(k string) []string, onCycle func(cycle []string), done func(k string, cyclic bool)) {
	const (
		white = iota // not yet visited
		grey         // on the stack
		black        // done
	)
	color := map[string]int{}
	var stack []string
	var visit func(k string)
	visit = func(k string) {
		color[k] = grey
		stack = append(stack, k)
		cyclic := false
		for _, d := range deps(k) {
			switch color[d] {
			case white:
				visit(d)
			case grey:
				i := len(stack) - 1
				for stack[i] != d {
					i--
				}
				onCycle(append([]string(nil), stack[i:]...))
				cyclic = true
			}
		}
		stack = stack[:len(stack)-1]
		color[k] = black
		if done != nil {
			done(k, cyclic)
		}
	}
	for _, k := range roots {
		if color[k] == white {
			visit(k)
		}
	}
}
