service "a" {
  command = ["x"]
  user    = "www"
  group   = "w w" # ERROR: Invalid group name
}
