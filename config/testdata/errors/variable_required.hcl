variable "port" { # ERROR: No value for required variable
  type = number
}
