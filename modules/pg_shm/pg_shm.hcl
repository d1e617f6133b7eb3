# pg_shm: a read-only PostgreSQL hot standby whose data lives in /dev/shm,
# seeded from the primary with rsync (the Arch wiki's runit recipe).
#
#   module "pg_shm" {
#     source  = "pg_shm"
#     primary = service.postgresql
#     port    = 5434
#   }

variable "primary" {
  type        = string
  description = "The service of the primary PostgreSQL (service.postgresql)."
}

variable "port" {
  type    = number
  default = 5434
  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "port is a TCP port number."
  }
}

variable "pgroot" {
  type    = string
  default = "/dev/shm/pg_mem"
}

variable "disk_root" {
  type        = string
  default     = "/var/lib/postgres"
  description = "Where the primary's data folder lives."
}

variable "primary_port" {
  type    = number
  default = 5432
}

file "/etc/conf.d/pg_shm" {
  content = "PGROOT=${var.pgroot}\nPGPORT=${var.port}\n"
}

service "pg_shm" {
  depends_on = [var.primary]
  run        = templatefile("run.sh", {
    disk_root    = var.disk_root
    primary_port = var.primary_port
  })
  log {}
}

output "port" {
  value = var.port
}
