# Gettys on three consoles from the shipped getty module, and the seed's
# in-memory PostgreSQL replica (module pg_shm) beside the primary.

module "console" {
  source = "getty"
  ttys   = ["tty2", "tty3", "tty4"]
}

service "postgresql" {
  command = ["/usr/bin/postgres", "-D", "/var/lib/postgres/data"]
  user    = "postgres"
  env     = { PGPORT = 5432 }
  limits { open_files = 4096 }
  check  = "pg_isready -q -p 5432"
  finish = "sv -v i pg_shm.pg_shm"
  log {
    size = "10MB"
    keep = 10
  }
}

module "pg_shm" {
  source  = "pg_shm"
  primary = service.postgresql
  port    = 5434
}

runlevel "default" {
  services = [service.postgresql, module.console.services, module.pg_shm.services]
}

runlevel "single" {
  services = [module.console.service.getty["tty2"]]
}
