service "a" {
  command = ["x"]
  user    = "root; rm -rf /" # ERROR: Invalid user name
}
