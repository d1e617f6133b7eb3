variable "pg_port" {
  type    = number
  default = 5432
}

service "postgresql" {
  command = ["/usr/bin/postgres", "-D", "/var/lib/postgres/data"]
  user    = "postgres"
  env     = { PGPORT = var.pg_port, LANG = "C" }
  limits {
    open_files = 4096
    memory     = "512MB"
    stack      = "8MB"
    memory_max = "1GiB"
    pids_max   = 200
    cpu_weight = 200
  }
  check  = "pg_isready -q -p ${var.pg_port}"
  finish = "sv -v i pg_shm"
  # PostgreSQL's fast shutdown, with time for its checkpoint.
  stop_signal  = "INT"
  stop_timeout = "1m"
  # Ready once it writes a newline on descriptor 3; restarts back off.
  notification_fd = 3
  restart {
    delay     = "200ms"
    max_delay = "1m"
  }
  log {
    size    = "10MB"
    keep    = 10
    filters = ["-*DEBUG*"]
    prefix  = "pg: "
  }
}

service "pg_shm" {
  stop_timeout = "0"
  run = <<-EOT
    #!/bin/sh -e
    . /etc/conf.d/pg_shm
    exec chpst -u postgres /usr/bin/postgres -D "$PGROOT/data" 2>&1
  EOT
  depends_on = [service.postgresql]
  chdir      = "/tmp"
  down       = true
  control    = { t = "sv -v i pg_shm" }
}

file "/etc/conf.d/pg_shm" {
  content = "PGROOT=/dev/shm/pg_mem\nPGPORT=5434\n"
}

user "postgres" {
  system      = true
  home        = "/var/lib/postgres"
  create_home = true
}

group "dba" {
  gid = 1500
}

user "joe" {
  groups = ["dba"]
}

directory "/var/lib/postgres/data" {
  owner = "postgres"
  mode  = "0700"
}

directory "/srv/drop" {
  group = "dba"
  mode  = "3770"
}

mount "/dev/shm/pg_mem" {
  type    = "tmpfs"
  options = ["size=64m", "nosuid", "nodev"]
  owner   = "postgres"
  group   = "postgres"
  mode    = "0700"
}
