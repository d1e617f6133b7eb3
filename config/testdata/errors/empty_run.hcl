service "a" {
  run = "  " # ERROR: Empty script
}
