service "" { # ERROR: Invalid service name
  command = ["x"]
}
