service "a" {
  command = ["x"]
  log {
    timestamps = "tai64" # ERROR: Invalid timestamps
  }
}
