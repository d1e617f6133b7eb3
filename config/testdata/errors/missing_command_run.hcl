service "x" { # ERROR: Missing command or run
  user = "nobody"
}
