file "/etc/x" { # ERROR: Missing content or source
  mode = "0644"
}
