service "a" {
  command = ["x"]
  log {
    filters = ["*debug*"] # ERROR: Invalid log filter
  }
}
