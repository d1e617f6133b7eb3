module "g" {
  source = "greeter"
  names  = ["a"]
  nmaes  = ["b"] # ERROR: Unsupported argument
}
