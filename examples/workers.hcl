# Seventeen queue workers from one block: for_each makes worker-01 …
# worker-17, each with its own log, so that examples/ as a whole is a
# 20-service machine (CI boots exactly this one in a VM). Each worker waits
# for the clock, as a real one waits for its broker.

variable "workers" {
  type        = number
  default     = 17
  description = "How many workers to run."
  validation {
    condition     = var.workers >= 0 && var.workers <= 99
    error_message = "workers is 0 to 99."
  }
}

locals {
  worker_ids = [for i in range(1, var.workers + 1) : format("%02d", i)]
}

service "worker" {
  for_each   = toset(local.worker_ids)
  env        = { ID = each.key, STATE = local.state }
  depends_on = [service.clock]
  run        = <<-EOT
    #!/bin/sh
    trap 'kill $! 2>/dev/null; exit 0' TERM
    echo "worker $ID ready"
    while :; do
      sleep 30 & wait $!
      echo "worker $ID alive at tick $(cat "$STATE/tick" 2>/dev/null)"
    done
  EOT
  log {
    keep = 2
  }
}
