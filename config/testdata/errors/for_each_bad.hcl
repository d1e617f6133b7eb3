service "a" {
  for_each = 3 # ERROR: Invalid for_each argument
  run      = "x"
}
