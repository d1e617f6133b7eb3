# A small machine: a clock that writes the time to a file every second, a
# reader that waits for it and logs what it reads, a greeter that says
# hello in its log, and a managed file recording the settings. Only
# /bin/sh tools are used, so tests can run it under any --root.

variable "interval" {
  type        = number
  default     = 1
  description = "Seconds between two ticks of the clock."
  validation {
    condition     = var.interval >= 1 && var.interval <= 60
    error_message = "interval is 1 to 60 seconds."
  }
}

variable "state" {
  type        = string
  default     = "/var/lib/example"
  description = "Where the clock writes its tick (tests point it into their folder)."
}

locals {
  state = var.state
}

service "clock" {
  env = { STATE = local.state, INTERVAL = var.interval }
  # runsv signals only this shell: it sleeps in the background and waits,
  # so that TERM ends the shell and its sleep at once (the idiom for any
  # looping sh service).
  run   = <<-EOT
    #!/bin/sh
    trap 'kill $! 2>/dev/null; exit 0' TERM
    mkdir -p "$STATE"
    while :; do
      date -u +%s > "$STATE/tick.new" && mv "$STATE/tick.new" "$STATE/tick"
      sleep "$INTERVAL" & wait $!
    done
  EOT
  check = "test -f ${local.state}/tick"
  log {
    keep = 3
  }
}

service "reader" {
  run        = <<-EOT
    #!/bin/sh
    trap 'kill $! 2>/dev/null; exit 0' TERM
    while :; do
      echo "tick $(cat "$STATE/tick" 2>/dev/null)"
      sleep "$EVERY" & wait $!
    done
  EOT
  env        = { STATE = local.state, EVERY = var.interval * 5 }
  depends_on = [service.clock]
  limits {
    open_files = 256
    memory     = "256MB"
  }
  log {
    size    = "64k"
    keep    = 5
    prefix  = "reader: "
    filters = ["-*secret*"]
  }
}

service "greeter" {
  command = ["/bin/sh", "-c", "echo hello from greeter; exec sleep 100000"]
  log {}
}

file "/etc/conf.d/example" {
  content = "STATE=${local.state}\nINTERVAL=${var.interval}\n"
}

output "state" {
  value = local.state
}
