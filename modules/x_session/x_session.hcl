# x_session: a user's X session, started again whenever it ends (the seed's
# "X session service for a user").
#
#   module "joe_x" {
#     source = "x_session"
#     user   = "joe"
#   }
#
# gives the service joe_x.xinit: xinit run as the user, with HOME, USER and
# LOGNAME set, starting the X server on display and the user's xinitrc as
# the client. When the xinitrc ends (the window manager quits), xinit stops
# the server and exits, and runsv starts a new session.
#
# The X server must be allowed to run for the user: on Debian a server on a
# virtual terminal needs xserver-xorg-legacy with allowed_users=anybody in
# /etc/X11/Xwrapper.config, or a server such as Xvfb or Xephyr.

variable "user" {
  type        = string
  description = "The user whose session it is."
  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]*$", var.user))
    error_message = "user is a user name such as joe."
  }
}

variable "display" {
  type    = string
  default = ":0"
  validation {
    condition     = can(regex("^:[0-9]+$", var.display))
    error_message = "display is a local display such as :0."
  }
}

variable "xinitrc" {
  type        = string
  default     = ""
  description = "The session script, run with sh; empty: ~/.xinitrc."
  validation {
    condition     = var.xinitrc == "" || can(regex("^/[^ '\"\\\\]*$", var.xinitrc))
    error_message = "xinitrc is empty or an absolute path without spaces or quotes."
  }
}

variable "server" {
  type        = list(string)
  default     = ["/usr/bin/X", "-nolisten", "tcp", "vt7"]
  description = "The X server: its absolute path (xinit's rule), then its arguments; the display is put after the path."
  validation {
    condition     = length(var.server) > 0 && can(regex("^/[^ '\"\\\\]*$", var.server[0]))
    error_message = "server starts with the X server's absolute path (without spaces or quotes), such as /usr/bin/X."
  }
}

locals {
  server_args = join(" ", [for a in slice(var.server, 1, length(var.server)) : format("'%s'", replace(a, "'", "'\\''"))])
}

service "xinit" {
  run = <<-EOT
    #!/bin/sh
    exec 2>&1
    u='${var.user}'
    home=$(getent passwd "$u" | cut -d: -f6)
    if [ -z "$home" ] || [ ! -d "$home" ]; then
      echo "x_session: no home folder for user $u"
      exit 1
    fi
    rc='${var.xinitrc}'
    [ -n "$rc" ] || rc="$home/.xinitrc"
    cd "$home"
    exec chpst -u "$u" env HOME="$home" USER="$u" LOGNAME="$u" \
      xinit /bin/sh "$rc" -- '${var.server[0]}' '${var.display}' ${local.server_args}
  EOT
  # A session the user ends starts again a second later; an X server that
  # cannot start is tried again less and less often, up to every 30 s.
  restart {
    delay       = "1s"
    max_delay   = "30s"
    reset_after = "30s"
  }
  log {}
}

output "display" {
  value = var.display
}
