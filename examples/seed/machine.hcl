# The seed's machine (the Arch wiki's runit page, 2014) as one description:
# gettys on tty2 and tty3, joe's own service tree and his X session, a
# PostgreSQL primary with its read-only replica in memory (pg_shm), sshd,
# cron and socklog. Everything is a shipped module; see docs/modules.md.
#
#   sysconf validate -c examples/seed
#   sysconf plan -c examples/seed --root /tmp/seed

# joe, with his home /home/joe; the system accounts (postgres, sshd,
# nobody) come with their packages.
user "joe" {
  description = "Joe User"
  shell       = "/bin/bash"
}

module "console" {
  source  = "getty"
  ttys    = ["tty2", "tty3"]
  options = ["--noclear"]
}

# "/etc/sv/homes/joeuser": runsvdir -P ~/service as joe.
module "joe" {
  source = "user_services"
  user   = "joe"
}

# "/etc/sv/joeuserX": xinit as joe, again whenever his session ends. X is
# on tty4, beside the two gettys.
module "joe_x" {
  source  = "x_session"
  user    = "joe"
  display = ":0"
  server  = ["/usr/bin/X", "-nolisten", "tcp", "vt4"]
}

# "/etc/sv/postgresql" and the recipe's pg_shm on port 5434, in memory.
module "db" {
  source = "postgresql"
}

module "pg_shm" {
  source  = "pg_shm"
  primary = module.db
  port    = 5434
  size    = "1G"
}

module "ssh" {
  source = "sshd"
}

module "cron" {
  source = "cron"
}

module "syslog" {
  source = "socklog"
}

runlevel "default" {
  services = [
    module.console.services,
    module.joe.services,
    module.joe_x.services,
    module.db.services,
    module.pg_shm.services,
    module.ssh.services,
    module.cron.services,
    module.syslog.services,
  ]
}

# Single user: a getty, the logger and sshd, nothing of joe's or the
# databases.
runlevel "single" {
  services = [
    module.console.service.getty["tty2"],
    module.syslog.services,
    module.ssh.services,
  ]
}
