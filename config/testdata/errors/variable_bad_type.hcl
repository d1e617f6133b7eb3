variable "port" {
  type    = numbr # ERROR: Invalid type specification
  default = 1
}
