file "/etc/x" {
  content = "x"
}
file "/etc/x" { # ERROR: Duplicate file block
  content = "y"
}
