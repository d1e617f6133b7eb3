service "a" {
  command = ["x"]
  nice    = 40 # ERROR: Invalid number
}
