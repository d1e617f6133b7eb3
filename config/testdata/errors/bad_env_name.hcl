service "a" {
  command = ["x"]
  env     = { "1BAD" = "x" } # ERROR: Invalid environment variable name
}
