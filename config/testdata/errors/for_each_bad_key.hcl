service "a" {
  for_each = ["ok", "../bad"] # ERROR: Invalid for_each key
  run      = "x"
}
