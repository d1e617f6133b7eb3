# user_services: a service tree of the user's own, supervised as the user
# (the seed's "user level services").
#
#   module "joe" {
#     source = "user_services"
#     user   = "joe"
#   }
#
# gives the service joe.runsvdir: runsvdir -P ~joe/service, run as joe
# with HOME, USER and LOGNAME set and ~joe/bin first in PATH, like the
# seed's sudo -H. Every service joe puts in ~/service starts as him, and he
# controls it with his own sv (sv down ~/service/NAME). ~/service is made,
# owned by joe, at each start. Stopping joe.runsvdir sends it SIGHUP, which
# stops joe's services before runsvdir exits.

variable "user" {
  type        = string
  description = "The user whose ~/service is supervised."
  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]*$", var.user))
    error_message = "user is a user name such as joe."
  }
}

variable "home" {
  type        = string
  default     = ""
  description = "The user's home folder; empty: the one in the user database."
  validation {
    condition     = var.home == "" || can(regex("^/[^ '\"\\\\]*$", var.home))
    error_message = "home is empty or an absolute path without spaces or quotes."
  }
}

variable "log_width" {
  type        = number
  default     = 131
  description = "The dots of runsvdir's log argument (runsvdir -P DIR 'log:....'): how many characters of its services' error messages ps shows. The seed uses 131."
  validation {
    condition     = var.log_width >= 7 && var.log_width <= 1000
    error_message = "runsvdir needs at least 7 dots."
  }
}

service "runsvdir" {
  run         = <<-EOT
    #!/bin/sh
    exec 2>&1
    set -e
    u='${var.user}'
    home='${var.home}'
    [ -n "$home" ] || home=$(getent passwd "$u" | cut -d: -f6)
    if [ -z "$home" ] || [ ! -d "$home" ]; then
      echo "user_services: no home folder for user $u"
      exit 1
    fi
    install -d -o "$u" -g "$(id -gn "$u")" -m 0755 "$home/service"
    cd "$home"
    exec chpst -u "$u" env HOME="$home" USER="$u" LOGNAME="$u" PATH="$home/bin:$PATH" \
      runsvdir -P "$home/service" 'log:${join("", [for i in range(var.log_width) : "."])}'
  EOT
  stop_signal = "HUP"
}

output "user" {
  value = var.user
}
