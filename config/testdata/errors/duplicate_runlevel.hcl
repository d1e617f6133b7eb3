runlevel "default" {
  services = []
}
runlevel "default" { # ERROR: Duplicate runlevel block
  services = []
}
