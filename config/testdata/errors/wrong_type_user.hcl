service "a" {
  command = ["x"]
  user    = ["root"] # ERROR: Incorrect attribute value type
}
