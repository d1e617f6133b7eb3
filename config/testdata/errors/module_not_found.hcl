module "g" {
  source = "gretter" # ERROR: Module not found
  names  = ["a"]
}
