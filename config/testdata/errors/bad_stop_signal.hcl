service "a" {
  command     = ["x"]
  stop_signal = "TERMINATE" # ERROR: Unknown stop signal
}
service "b" {
  command     = ["x"]
  stop_signal = "STOP" # ERROR: Unknown stop signal
}
service "c" {
  command     = ["x"]
  stop_signal = 15 # ERROR: Unknown stop signal
}
