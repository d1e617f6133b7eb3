# cron: Debian's cron daemon in the foreground.
#
#   module "cron" {
#     source = "cron"
#   }
#
# gives the service cron.cron, running cron -f. It reads /etc/crontab,
# /etc/cron.d and the users' crontabs in /var/spool/cron/crontabs, which
# it makes at start when missing (as the cron package does). Its messages
# go to syslog (see the socklog module); -L sets what it logs.

variable "log_level" {
  type        = number
  default     = 1
  description = "Debian cron's -L: the sum of 1 (job starts), 2 (job ends), 4 (failed jobs) and 8 (job pids)."
  validation {
    condition     = var.log_level >= 0 && var.log_level <= 15
    error_message = "log_level is 0 to 15."
  }
}

service "cron" {
  run = <<-EOT
    #!/bin/sh
    exec 2>&1
    set -e
    if [ ! -d /var/spool/cron/crontabs ]; then
      install -d -m 0755 /var/spool/cron
      install -d -m 1730 -g crontab /var/spool/cron/crontabs
    fi
    exec cron -f -L ${var.log_level}
  EOT
  log {}
}
