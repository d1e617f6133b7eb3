service "a" {
  command    = ["x"]
  depends_on = [service.a] # ERROR: Self-dependency
}
