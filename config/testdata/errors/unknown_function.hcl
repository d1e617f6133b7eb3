service "a" {
  command = [uuid()] # ERROR: Call to unknown function
}
