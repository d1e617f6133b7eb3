service "x" {
  command = ["x"]
}
service "x" { # ERROR: Duplicate service block
  command = ["y"]
}
