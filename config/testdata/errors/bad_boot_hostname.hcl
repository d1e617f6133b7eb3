boot {
  hostname = "web_01" # ERROR: Invalid hostname
}
