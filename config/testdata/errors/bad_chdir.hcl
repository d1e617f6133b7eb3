service "a" {
  command = ["x"]
  chdir   = "relative/dir" # ERROR: Invalid chdir
}
