locals {
  a = 1
}
service "web" {
  command = ["x", local.b] # ERROR: Reference to undeclared local value
}
