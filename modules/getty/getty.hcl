# getty: one agetty service per terminal.
#
#   module "console" {
#     source = "getty"
#     ttys   = ["tty2", "tty3"]
#   }
#
# gives the services console.getty-tty2 and console.getty-tty3
# (module.console.services lists them), each running
#
#   chpst -P agetty [OPTIONS...] TTY [BAUD] TERM
#
# in agetty's documented argument order (util-linux agetty(8): port, then
# the optional comma-separated baud rates, then the terminal type).
#
# agetty makes the terminal its controlling terminal, which only a session
# leader can do, and it does not call setsid(2) itself. Our runsv starts
# every service in a session of its own, so agetty already leads one;
# runit's runsv does not, and Void's services run "setsid agetty" for it.
# That setsid would fork under our runsv (a session leader cannot start
# another session) and ./run would exit at once. chpst -P calls setsid(2)
# and ignores its failure, as runit's does, so the same service directory
# works under both supervisors (Debian's getty services do the same).

variable "ttys" {
  type        = list(string)
  description = "The terminals to run a getty on, as names under /dev such as tty1 or ttyS0."
  validation {
    condition     = length([for t in var.ttys : t if !can(regex("^[A-Za-z][A-Za-z0-9]*$", t))]) == 0
    error_message = "A tty is a device name under /dev such as tty2 or ttyS0."
  }
}

variable "baud" {
  type        = string
  default     = ""
  description = "Comma-separated baud rates, fastest first, such as 115200,38400,9600; empty: none (virtual terminals need none)."
  validation {
    condition     = can(regex("^([0-9]+(,[0-9]+)*)?$", var.baud))
    error_message = "baud is empty or comma-separated numbers such as 115200,38400,9600."
  }
}

variable "term" {
  type        = string
  default     = "linux"
  description = "The TERM agetty sets, such as linux or vt100."
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._+-]*$", var.term))
    error_message = "term is a terminal type such as linux or vt100."
  }
}

variable "options" {
  type        = list(string)
  default     = []
  description = "agetty options before the terminal, such as [\"--noclear\"] or [\"--autologin\", \"joe\"]."
  validation {
    condition     = length([for o in var.options : o if !can(regex("^-", o)) && !can(regex("^[A-Za-z0-9_.,:/@=+-]+$", o))]) == 0
    error_message = "An option is a flag such as --noclear, or a plain value after one."
  }
}

variable "program" {
  type        = string
  default     = "agetty"
  description = "The getty program, found on PATH."
}

service "getty" {
  for_each = toset(var.ttys)
  command  = concat(["chpst", "-P", var.program], var.options, [each.key], var.baud == "" ? [] : [var.baud], [var.term])
}

output "ttys" {
  value = var.ttys
}
