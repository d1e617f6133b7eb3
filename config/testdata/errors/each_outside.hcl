service "a" {
  run = each.key # ERROR: Reference to each outside for_each
}
