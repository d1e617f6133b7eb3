# getty: one agetty service per terminal.
#
#   module "console" {
#     source = "getty"
#     ttys   = ["tty2", "tty3"]
#   }
#
# gives the services console.getty-tty2 and console.getty-tty3
# (module.console.services lists them).

variable "ttys" {
  type        = list(string)
  description = "The terminals to run a getty on, such as tty1."
  validation {
    condition     = length([for t in var.ttys : t if !can(regex("^[A-Za-z0-9]+$", t))]) == 0
    error_message = "A tty is a device name under /dev such as tty2 or ttyS0."
  }
}

variable "baud" {
  type    = string
  default = "38400"
}

variable "term" {
  type    = string
  default = "linux"
}

variable "program" {
  type        = string
  default     = "agetty"
  description = "The getty program, found on PATH."
}

service "getty" {
  for_each = toset(var.ttys)
  command  = [var.program, var.baud, each.key, var.term]
}

output "ttys" {
  value = var.ttys
}
