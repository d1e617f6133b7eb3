# postgresql: a PostgreSQL primary, run by runsv as the postgres user.
#
#   module "db" {
#     source   = "postgresql"
#     settings = { shared_buffers = "256MB" }
#   }
#
# gives the service db.postgresql. On its first start it runs initdb
# (local connections: peer; TCP: scram-sha-256), and it is ready once
# pg_isready says the server accepts connections (notification_fd and
# check alike). It stops with SIGINT,
# PostgreSQL's fast shutdown, and logs through svlogd. module.db is what a
# replica needs (module pg_shm takes it as its primary);
# module.db.service.postgresql is the server's service name.

variable "port" {
  type    = number
  default = 5432
  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "port is a TCP port number."
  }
}

variable "data_dir" {
  type        = string
  default     = "/var/lib/postgresql/data"
  description = "The cluster's data folder; initdb fills it on the first start."
  validation {
    condition     = can(regex("^/[^ '\"\\\\]*[^/ '\"\\\\]$", var.data_dir))
    error_message = "data_dir is an absolute path without spaces or quotes, not ending in /."
  }
}

variable "socket_dir" {
  type        = string
  default     = "/run/postgresql"
  description = "The folder of the Unix socket (unix_socket_directories)."
  validation {
    condition     = can(regex("^/[^ '\"\\\\,]*$", var.socket_dir))
    error_message = "socket_dir is an absolute path without spaces, quotes or commas."
  }
}

variable "bin_dir" {
  type        = string
  default     = ""
  description = "The folder of postgres, initdb and pg_isready; empty: found at start (see below)."
  validation {
    condition     = var.bin_dir == "" || can(regex("^/[^ '\"\\\\]*$", var.bin_dir))
    error_message = "bin_dir is empty or an absolute path without spaces or quotes."
  }
}

variable "user" {
  type        = string
  default     = "postgres"
  description = "The account the server runs as; it owns data_dir."
  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]*$", var.user))
    error_message = "user is a user name such as postgres."
  }
}

variable "settings" {
  type        = map(string)
  default     = {}
  description = "postgresql.conf parameters, such as { shared_buffers = \"256MB\" }; they win over initdb's."
  validation {
    condition     = length([for k, v in var.settings : k if !can(regex("^[a-z_][a-z0-9_.]*$", k)) || can(regex("\n", v))]) == 0
    error_message = "A setting's name is a PostgreSQL parameter name such as shared_buffers, and its value is one line."
  }
}

locals {
  # The binaries: bin_dir when given; else those of the data folder's major
  # version when it has one and they are installed, so that a newer
  # PostgreSQL installed beside never opens an older cluster; else the
  # newest /usr/lib/postgresql/*/bin (Debian, Ubuntu); else /usr/bin.
  # Evaluation reads no disk, so this is decided at start by the script.
  find_bin = <<-EOT
    find_bin() {
      if [ -n '${var.bin_dir}' ]; then echo '${var.bin_dir}'; return; fi
      if [ -s "$1/PG_VERSION" ] && [ -x "/usr/lib/postgresql/$(cat "$1/PG_VERSION")/bin/postgres" ]; then
        echo "/usr/lib/postgresql/$(cat "$1/PG_VERSION")/bin"; return
      fi
      newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
      if [ -n "$newest" ] && [ -x "$newest/postgres" ]; then echo "$newest"; else echo /usr/bin; fi
    }
  EOT

  # What sysconf sets, included last in postgresql.conf so it wins.
  conf = join("", [for k, v in merge({
    port                    = tostring(var.port)
    unix_socket_directories = var.socket_dir
  }, var.settings) : format("%s = '%s'\n", k, replace(v, "'", "''"))])
}

service "postgresql" {
  run             = <<-EOT
    #!/bin/sh
    exec 2>&1
    set -e
    ${local.find_bin}
    data='${var.data_dir}'
    bin=$(find_bin "$data")
    group=$(id -gn '${var.user}')
    # The socket folder (on /run, a tmpfs) and the data folder's parents
    # are made at every start; the data folder is the server's alone.
    install -d -o '${var.user}' -g "$group" -m 2775 '${var.socket_dir}'
    mkdir -p "$(dirname "$data")"
    # What is written in the data folder is written as its user: root
    # would follow a link the user left there.
    as_pg() { chpst -u '${var.user}' "$@"; }
    if [ ! -s "$data/PG_VERSION" ]; then
      echo "postgresql: initdb $data with $bin"
      if [ -d "$data" ]; then
        # A folder made beforehand (a directory block, a mount point):
        # initdb fills it if it is empty, and nothing else is touched.
        if [ -n "$(ls -A "$data")" ]; then
          echo "postgresql: $data holds files but no cluster (no PG_VERSION); not touching it"
          exit 1
        fi
        chown '${var.user}':"$group" "$data"
        chmod 0700 "$data"
        as_pg "$bin/initdb" -D "$data" -U '${var.user}' \
          --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
        as_pg sh -c 'echo "include = '\''sysconf.conf'\''" >> "$1/postgresql.conf"' - "$data"
      else
        # Made beside it and renamed into place once whole, so a cut
        # initdb is started over rather than taken for a cluster.
        rm -rf "$data.initdb"
        install -d -o '${var.user}' -g "$group" -m 0700 "$data.initdb"
        as_pg "$bin/initdb" -D "$data.initdb" -U '${var.user}' \
          --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
        as_pg sh -c 'echo "include = '\''sysconf.conf'\''" >> "$1/postgresql.conf"' - "$data.initdb"
        mv "$data.initdb" "$data"
      fi
    fi
    # Rewritten at every start: a change of the settings changes this
    # script, so it restarts the server with them.
    as_pg sh -c 'cat > "$1.new" && mv -f "$1.new" "$1"' - "$data/sysconf.conf" <<'CONF'
    # Written by sysconf at every start of the service; edit the description.
    ${local.conf}CONF
    # Readiness (notification_fd): a newline on descriptor 3 once
    # pg_isready says the server accepts connections. The poller gives up
    # when the server is gone; the server itself does not get the pipe.
    pm=$$
    if { true >&3; } 2>/dev/null; then
      (
        until as_pg "$bin/pg_isready" -q -h '${var.socket_dir}' -p ${var.port}; do
          kill -0 $pm 2>/dev/null || exit 0
          sleep 0.1
        done
        echo >&3
      ) &
    fi
    exec chpst -u '${var.user}' "$bin/postgres" -D "$data" 3>&-
  EOT
  notification_fd = 3
  check           = <<-EOT
    ${local.find_bin}
    exec chpst -u '${var.user}' "$(find_bin '${var.data_dir}')/pg_isready" -q -h '${var.socket_dir}' -p ${var.port}
  EOT
  stop_signal     = "INT"
  stop_timeout    = "1m"
  limits {
    open_files = 4096
  }
  log {}
}

output "port" {
  value = var.port
}

output "data_dir" {
  value = var.data_dir
}

output "socket_dir" {
  value = var.socket_dir
}

output "bin_dir" {
  value       = var.bin_dir
  description = "As given: empty means found at start."
}

output "user" {
  value = var.user
}

output "find_bin" {
  value       = local.find_bin
  description = "sh text defining find_bin DATA_DIR, which prints the folder of the binaries for that data folder (bin_dir when given)."
}
