service "x" {
  command = ["x"]
  run     = "exec x" # ERROR: Conflicting command and run
}
