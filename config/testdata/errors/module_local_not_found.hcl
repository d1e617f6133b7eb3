module "g" {
  source = "./nowhere" # ERROR: Module not found
}
