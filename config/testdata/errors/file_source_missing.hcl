file "/etc/x" {
  source = "missing.txt" # ERROR: Source file not found
}
