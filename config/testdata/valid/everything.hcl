variable "port" {
  type        = number
  default     = 8080
  description = "The port web listens on."
  validation {
    condition     = var.port > 0
    error_message = "port must be positive."
  }
}

variable "ttys" {
  type    = list(string)
  default = ["tty2", "tty3"]
}

locals {
  greeting = templatefile("motd.tmpl", { name = "world" })
  motd     = file("motd.txt")
  banner   = upper(format("%s:%d", "web", var.port))
  tags     = merge({ a = "1" }, { b = "2" })
}

service "web" {
  command      = ["/usr/bin/httpd", "-p", var.port, "-b", local.banner]
  user         = "www"
  group        = "www"
  env          = merge(local.tags, { PORT = var.port, JSON = jsonencode(local.tags) })
  chdir        = "/srv/web"
  nice         = 5
  depends_on   = [service.db, module.hi.services]
  check        = "exec nc -z localhost ${var.port}"
  finish       = "echo finished"
  control      = { h = "kill -HUP $(cat pid)" }
  stop_timeout = "30s"
  stop_signal  = "SIGQUIT"
  limits {
    memory      = "512MB"
    data        = 1048576
    stack       = "8M"
    open_files  = 4096
    processes   = 64
    file_size   = "1GiB"
    core        = 0
    cpu_seconds = "1h"
    memory_max  = "256MB"
    pids_max    = 64
    cpu_weight  = 50
  }
  log {
    dir        = "/var/log/web"
    size       = "10MB"
    keep       = 10
    min_keep   = 2
    timeout    = "1d"
    prefix     = "web: "
    filters    = ["-*debug*", "+*"]
    timestamps = "iso8601"
    processor  = "gzip"
    user       = "log"
  }
}

service "db" {
  run  = <<-EOT
    #!/bin/sh
    exec sleep 1000
  EOT
  down = true
}

service "getty" {
  for_each = toset(var.ttys)
  command  = ["agetty", "38400", each.key, "linux"]
}

service "old" {
  run     = "exec true"
  enabled = false
}

module "hi" {
  source = "greeter"
  names  = ["ann"]
}

runlevel "default" {
  services = [service.web, service.db, values(service.getty), module.hi.services]
}

runlevel "single" {
  services = [service.getty["tty2"]]
}

file "/etc/motd" {
  content = "${local.greeting}${local.motd}"
  mode    = "0600"
  owner   = "root"
  group   = "root"
}

file "/etc/issue" {
  source = "motd.txt"
}

output "web_port" {
  value = var.port
}
