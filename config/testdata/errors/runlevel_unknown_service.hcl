service "a" {
  command = ["x"]
}
runlevel "default" {
  services = [service.a, "b"] # ERROR: Unknown service
}
