variable "port" {
  type    = number
  default = 0 # ERROR: Invalid value for variable
  validation {
    condition     = var.port > 0
    error_message = "port must be positive."
  }
}
