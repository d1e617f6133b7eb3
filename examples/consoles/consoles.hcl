# Gettys on three consoles from the shipped getty module, and the seed's
# in-memory PostgreSQL replica (module pg_shm) beside its primary (module
# postgresql).

module "console" {
  source = "getty"
  ttys   = ["tty2", "tty3", "tty4"]
}

module "db" {
  source   = "postgresql"
  settings = { shared_buffers = "256MB" }
}

module "pg_shm" {
  source  = "pg_shm"
  primary = module.db
  port    = 5434
  size    = "512m"
}

runlevel "default" {
  services = [module.db.services, module.console.services, module.pg_shm.services]
}

runlevel "single" {
  services = [module.console.service.getty["tty2"]]
}
