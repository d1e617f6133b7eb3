service "a" {
  command = ["x"]
  limits {
    memory = "512 parsecs" # ERROR: Invalid size
  }
}
