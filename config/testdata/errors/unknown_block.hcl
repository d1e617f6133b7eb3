servce "x" { # ERROR: Unsupported block type
  command = ["x"]
}
