service "a" {
  command    = ["x"]
  depends_on = [service.b] # ERROR: Dependency cycle
}
service "b" {
  command    = ["x"]
  depends_on = [service.c]
}
service "c" {
  command    = ["x"]
  depends_on = [service.a]
}
