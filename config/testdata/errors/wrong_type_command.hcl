service "x" {
  command = { a = 1 } # ERROR: Incorrect attribute value type
}
