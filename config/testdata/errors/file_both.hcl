file "/etc/x" {
  content = "x"
  source  = "x.txt" # ERROR: Conflicting content and source
}
