service "a" {
  command = ["x"]
  enabled = false
}
runlevel "default" {
  services = [service.a] # ERROR: Disabled service in runlevel
}
