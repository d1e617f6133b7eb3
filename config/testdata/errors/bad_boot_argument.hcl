boot {
  hostnme = "a" # ERROR: Unsupported argument
}
