# socklog: the system logger, as on Void: socklog reads syslog messages
# from /dev/log and writes them out, and svlogd keeps them.
#
#   module "syslog" {
#     source = "socklog"
#   }
#
# gives the service syslog.socklog. socklog binds the socket as root, then
# runs as user (chpst -U sets the UID and GID it switches to). svlogd
# keeps the messages in dir, rotated by size and count.

variable "path" {
  type        = string
  default     = "/dev/log"
  description = "The Unix datagram socket to read."
}

variable "user" {
  type        = string
  default     = "nobody"
  description = "The user socklog runs as once the socket is bound."
}

variable "dir" {
  type        = string
  default     = "/var/log/socklog"
  description = "The log folder svlogd writes."
}

variable "size" {
  type    = string
  default = "1MB"
}

variable "keep" {
  type    = number
  default = 10
}

service "socklog" {
  command = ["chpst", "-U", var.user, "socklog", "unix", var.path]
  log {
    dir  = var.dir
    size = var.size
    keep = var.keep
  }
}

output "dir" {
  value = var.dir
}
