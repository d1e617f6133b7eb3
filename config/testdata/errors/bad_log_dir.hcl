service "a" {
  command = ["x"]
  log {
    dir = "../logs" # ERROR: Invalid log directory
  }
}
