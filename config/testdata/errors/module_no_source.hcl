module "g" { # ERROR: Missing module source
  names = ["a"]
}
