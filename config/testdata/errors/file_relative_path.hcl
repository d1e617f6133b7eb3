file "etc/x" { # ERROR: Invalid file path
  content = "x"
}
