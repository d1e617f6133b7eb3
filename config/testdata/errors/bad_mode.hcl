file "/etc/x" {
  content = "x"
  mode    = "0999" # ERROR: Invalid file mode
}
