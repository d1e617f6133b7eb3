locals {
  a = local.b # ERROR: Reference cycle
  b = local.a
}
