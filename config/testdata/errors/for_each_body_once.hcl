# A mistake in a for_each body is one error, not one per instance.
service "w" {
  for_each = toset(["a", "b", "c"])
  run      = "echo ${local.nope}" # ERROR: Reference to undeclared local value
}
