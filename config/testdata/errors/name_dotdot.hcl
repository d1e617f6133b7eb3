service "../x" { # ERROR: Invalid service name
  command = ["x"]
}
