service ".hidden" { # ERROR: Invalid service name
  command = ["x"]
}
