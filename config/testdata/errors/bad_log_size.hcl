service "a" {
  command = ["x"]
  log {
    size = -5 # ERROR: Invalid size
  }
}
