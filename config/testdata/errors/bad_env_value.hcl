service "a" {
  command = ["x"]
  env     = { A = "two\nlines" } # ERROR: Invalid environment value
}
