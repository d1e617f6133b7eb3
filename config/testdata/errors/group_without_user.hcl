service "a" {
  command = ["x"]
  group   = "www" # ERROR: Group without user
}
