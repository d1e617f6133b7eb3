service "a" {
  run = file("../../etc/passwd") # ERROR: Error in function call
}
