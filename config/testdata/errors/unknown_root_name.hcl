service "web" {
  command = ["x", vars.port] # ERROR: Unknown variable
}
