service "web" {
  command = ["x", var.port] # ERROR: Reference to undeclared input variable
}
