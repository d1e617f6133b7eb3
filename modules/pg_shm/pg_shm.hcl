# pg_shm: a read-only hot standby of a PostgreSQL primary, with its data in
# memory (a tmpfs), on a port of its own. The seed's runit recipe, rebuilt
# for PostgreSQL 12 and later: pg_basebackup -R instead of
# pg_start_backup + rsync + recovery.conf.
#
#   module "db" {
#     source = "postgresql"
#   }
#   module "shm" {
#     source  = "pg_shm"
#     primary = module.db
#     size    = "1G"
#   }
#
# gives the service shm.pg_shm. At each start it mounts dir as a tmpfs of
# size owned by the primary's user (unless it is mounted already), waits
# until the primary is up, and, when dir holds no replica of this primary
# (the first start, after a reboot, after the tmpfs was emptied, or when the
# primary was made anew), seeds it with pg_basebackup -R over the primary's
# Unix socket. A physical replication slot on the primary keeps the WAL the
# replica still needs, so after a restart of either it catches up; while it
# runs, a watcher seeds it again when it cannot follow any more. The
# replica never writes into the primary's data folder, and every
# PostgreSQL program runs as the primary's user.

variable "primary" {
  type = object({
    service    = object({ postgresql = string })
    port       = number
    socket_dir = string
    data_dir   = string
    bin_dir    = string
    user       = string
    find_bin   = string
  })
  description = "The primary: a postgresql module (primary = module.db)."
}

variable "port" {
  type    = number
  default = 5434
  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "port is a TCP port number."
  }
}

variable "dir" {
  type        = string
  default     = "/dev/shm/pg_shm"
  description = "Where the tmpfs is mounted; the replica's data is dir/data."
  validation {
    condition     = can(regex("^/[^ '\"\\\\,]*[^/ '\"\\\\,]$", var.dir))
    error_message = "dir is an absolute path without spaces, quotes or commas, not ending in /."
  }
}

variable "size" {
  type        = string
  default     = "1G"
  description = "The tmpfs's size (mount -o size=): bytes, or a number with k, m, g or %."
  validation {
    condition     = can(regex("^[0-9]+[kKmMgG%]?$", var.size))
    error_message = "size is a tmpfs size such as 512m, 2G or 25%."
  }
}

variable "slot" {
  type        = string
  default     = "pg_shm"
  description = "The replication slot on the primary; each replica of one primary needs its own."
  validation {
    condition     = can(regex("^[a-z0-9_]{1,63}$", var.slot))
    error_message = "slot is a replication slot name: lower-case letters, digits and _."
  }
}

variable "settings" {
  type        = map(string)
  default     = {}
  description = "Parameters for the replica only, given to postgres as -c NAME=VALUE."
}

locals {
  p = var.primary
  # psql and pg_basebackup reach the primary over its socket, as its user:
  # peer authentication, and initdb's pg_hba allows local replication.
  conn = "host=${var.primary.socket_dir} port=${var.primary.port} user=${var.primary.user}"
  opts = join(" ", [for k, v in merge({
    port                    = tostring(var.port)
    hot_standby             = "on"
    unix_socket_directories = var.primary.socket_dir
  }, var.settings) : format("-c '%s=%s'", k, replace(v, "'", "'\\''"))])
}

service "pg_shm" {
  depends_on      = [var.primary.service.postgresql]
  run             = <<-EOT
    #!/bin/sh
    exec 2>&1
    set -e
    u='${local.p.user}'
    dir='${var.dir}'
    data="$dir/data"
    ${local.p.find_bin}
    # The primary's binaries: a standby must run the primary's major version.
    bin=$(find_bin '${local.p.data_dir}')
    as_pg() { chpst -u "$u" "$@"; }
    q() { as_pg "$bin/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d '${local.conn} dbname=postgres' -c "$1"; }

    # depends_on waits for the primary's supervisor, but sv check passes
    # a service that has no process yet: wait for the server itself, 10 s
    # at most, then exit as runit does it (runsv runs this again a second
    # later).
    n=0
    until as_pg "$bin/pg_isready" -q -h '${local.p.socket_dir}' -p ${local.p.port}; do
      n=$((n + 1))
      if [ $n -ge 50 ]; then
        echo "pg_shm: waiting for the primary on ${local.p.socket_dir}, port ${local.p.port}"
        exit 1
      fi
      sleep 0.2
    done

    # The tmpfs, mounted anew after a reboot; a size change applies at the
    # next start without losing the data.
    # dir is often in a folder every user may write to (/dev/shm): mount
    # only on a real folder of root's or the server's user, never through
    # a link someone left there.
    if [ -L "$dir" ]; then
      echo "pg_shm: $dir is a symbolic link; not mounting where it points"
      exit 1
    fi
    mkdir -p "$dir"
    opts="size=${var.size},mode=0700,uid=$(id -u "$u"),gid=$(id -g "$u")"
    if mountpoint -q "$dir"; then
      mount -o "remount,$opts" "$dir"
    else
      owner=$(stat -c %u "$dir")
      if [ "$owner" != 0 ] && [ "$owner" != "$(id -u "$u")" ]; then
        echo "pg_shm: $dir belongs to uid $owner, neither root nor $u; not mounting on it"
        exit 1
      fi
      mount -t tmpfs -o "$opts" pg_shm "$dir"
    fi

    # why_seed prints why dir/data cannot follow the primary: it is no
    # replica, or one of another cluster than the primary is now (made
    # anew), or the slot that keeps its WAL is gone; nothing when it can.
    # It fails when the primary does not answer.
    why_seed() {
      if [ ! -s "$data/PG_VERSION" ] || [ ! -e "$data/standby.signal" ]; then
        echo "no replica in $data"
        return
      fi
      mine=$(as_pg "$bin/pg_controldata" "$data" | sed -n 's/^Database system identifier: *//p')
      theirs=$(q "SELECT system_identifier FROM pg_control_system()") || return 1
      slot=$(q "SELECT coalesce(wal_status, 'none') FROM pg_replication_slots WHERE slot_name = '${var.slot}'") || return 1
      if [ "$mine" != "$theirs" ]; then
        echo "the primary is another cluster ($theirs, not $mine)"
      elif [ -z "$slot" ] || [ "$slot" = lost ]; then
        echo "slot ${var.slot} is missing or lost the WAL"
      fi
    }
    seed=$(why_seed)
    if [ -n "$seed" ]; then
      echo "pg_shm: seeding $data: $seed"
      # The old slot would hold WAL for a replica that is gone.
      q "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${var.slot}' AND NOT active" >/dev/null
      as_pg rm -rf "$data" "$data.seed"
      as_pg "$bin/pg_basebackup" -d '${local.conn}' -D "$data.seed" -R -X stream -c fast -C -S '${var.slot}'
      as_pg mv "$data.seed" "$data"
    fi

    # A replica that cannot follow any more keeps serving what it has; so
    # while it runs, every 5 s, ask why_seed again, and when it gives a
    # reason stop the server (SIGINT): runsv starts this script again,
    # which seeds it. The watcher ends with the server.
    pm=$$
    (
      while sleep 5; do
        [ "$(cat /proc/$pm/comm 2>/dev/null)" = postgres ] || exit 0
        why=$(why_seed) || continue
        if [ -n "$why" ]; then
          echo "pg_shm: $why: stopping the replica to seed it again"
          kill -INT $pm
          exit 0
        fi
      done
    ) 3>&- &
    # Readiness (notification_fd): a newline on descriptor 3 once the
    # replica accepts connections.
    if { true >&3; } 2>/dev/null; then
      (
        until as_pg "$bin/pg_isready" -q -h '${local.p.socket_dir}' -p ${var.port}; do
          kill -0 $pm 2>/dev/null || exit 0
          sleep 0.1
        done
        echo >&3
      ) &
    fi
    exec chpst -u "$u" "$bin/postgres" -D "$data" ${local.opts} 3>&-
  EOT
  notification_fd = 3
  check           = <<-EOT
    ${local.p.find_bin}
    exec chpst -u '${local.p.user}' "$(find_bin '${var.dir}/data')/pg_isready" -q -h '${local.p.socket_dir}' -p ${var.port}
  EOT
  stop_signal     = "INT"
  stop_timeout    = "1m"
  log {}
}

output "port" {
  value = var.port
}

output "dir" {
  value = var.dir
}
