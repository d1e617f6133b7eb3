boot {
  hostname = "a"
}
boot { # ERROR: Duplicate boot block
  hostname = "b"
}
