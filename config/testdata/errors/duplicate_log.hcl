service "a" {
  command = ["x"]
  log {}
  log {} # ERROR: Duplicate log block
}
