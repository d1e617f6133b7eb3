service "a" {
  command = [] # ERROR: Invalid command
}
