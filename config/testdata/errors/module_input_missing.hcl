module "g" { # ERROR: Missing module input
  source = "greeter"
}
