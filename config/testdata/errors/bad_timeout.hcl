service "a" {
  command = ["x"]
  log {
    timeout = "soon" # ERROR: Invalid duration
  }
}
