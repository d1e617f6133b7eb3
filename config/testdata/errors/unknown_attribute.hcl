service "x" {
  command     = ["x"]
  restart_sec = 5 # ERROR: Unsupported argument
}
