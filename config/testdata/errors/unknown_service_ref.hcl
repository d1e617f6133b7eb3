service "web" {
  command    = ["x"]
  depends_on = [service.dbb] # ERROR: Reference to undeclared service
}
service "db" {
  command = ["x"]
}
