variable "port" {
  default = 1
}
variable "port" { # ERROR: Duplicate variable block
  default = 2
}
