group "postgres" {
  system = true
  gid    = 70
}

group "staff" {}

user "postgres" {
  system      = true
  uid         = 70
  home        = "/var/lib/postgres"
  create_home = true
  description = "PostgreSQL server"
}

user "joe" {
  groups = ["staff", "wheel"]
  shell  = "/bin/bash"
}

directory "/var/lib/postgres/data" {
  owner = "postgres"
  group = "postgres"
  mode  = "0700"
}

mount "/dev/shm/pg_mem" {
  type    = "tmpfs"
  options = ["size=64m", "nosuid", "nodev"]
  owner   = "postgres"
  mode    = "0700"
}

service "db" {
  command = ["/usr/bin/postgres"]
  user    = "postgres"
}
