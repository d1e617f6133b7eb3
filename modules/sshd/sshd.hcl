# sshd: the OpenSSH server in the foreground, logging through svlogd.
#
#   module "ssh" {
#     source = "sshd"
#     listen = ["192.0.2.10", "::1"]
#   }
#
# gives the service ssh.sshd. At each start the host keys missing from
# /etc/ssh are generated (ssh-keygen -A) and the privilege separation
# folder /run/sshd made; the check is sshd -t, which reads the whole
# configuration and the host keys. port and listen are given on sshd's
# command line, where they win over sshd_config.

variable "port" {
  type    = number
  default = 22
  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "port is a TCP port number."
  }
}

variable "listen" {
  type        = list(string)
  default     = []
  description = "The addresses to listen on (IPv4 or IPv6, without brackets); empty: sshd_config's ListenAddress, else every address."
  validation {
    condition     = length([for a in var.listen : a if !can(regex("^[0-9A-Fa-f.:]+$", a))]) == 0
    error_message = "A listen address is an IPv4 or IPv6 address such as 127.0.0.1 or ::1."
  }
}

variable "config" {
  type        = string
  default     = "/etc/ssh/sshd_config"
  description = "The sshd_config file."
  validation {
    condition     = can(regex("^/[^ '\"\\\\]*$", var.config))
    error_message = "config is an absolute path without spaces or quotes."
  }
}

variable "program" {
  type        = string
  default     = "/usr/sbin/sshd"
  description = "sshd's absolute path (sshd re-executes itself and requires one)."
  validation {
    condition     = can(regex("^/[^ '\"\\\\]*$", var.program))
    error_message = "program is an absolute path without spaces or quotes."
  }
}

locals {
  # -o ListenAddress=ADDR:PORT for each address, else -o Port=PORT: an
  # address with its port does not depend on the order of Port and
  # ListenAddress lines in sshd_config.
  opts = join(" ", length(var.listen) == 0 ? ["-o Port=${var.port}"] : [
    for a in var.listen : can(regex(":", a)) ? "-o ListenAddress=[${a}]:${var.port}" : "-o ListenAddress=${a}:${var.port}"
  ])
  sshd = "'${var.program}' -f '${var.config}' ${local.opts}"
}

service "sshd" {
  run   = <<-EOT
    #!/bin/sh
    exec 2>&1
    set -e
    install -d -m 0755 /run/sshd
    # Host keys of every default type that is missing; existing ones stay.
    ssh-keygen -A
    exec ${local.sshd} -D -e
  EOT
  check = "exec ${local.sshd} -t"
  log {}
}

output "port" {
  value = var.port
}
