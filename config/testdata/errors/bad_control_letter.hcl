service "a" {
  command = ["x"]
  control = { z = "echo" } # ERROR: Invalid control letter
}
