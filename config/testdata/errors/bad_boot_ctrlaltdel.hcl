boot {
  ctrlaltdel = "rebot" # ERROR: Invalid ctrlaltdel
}
