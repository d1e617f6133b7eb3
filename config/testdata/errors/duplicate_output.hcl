output "a" {
  value = 1
}
output "a" { # ERROR: Duplicate output block
  value = 2
}
