service "a" {
  command    = ["x"]
  depends_on = module.gg.services # ERROR: Reference to undeclared module
}
