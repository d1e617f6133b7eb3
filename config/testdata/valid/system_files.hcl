system {
  layout = "void"

  stage "2" {
    mode    = "0755"
    content = <<-EOT
      #!/bin/sh
      exec runsvdir -P /run/runit/runsvdir/current
    EOT
  }

  stage "ctrlaltdel" {
    source = "motd.txt"
  }
}

service "sshd" {
  file "run" {
    mode    = "0755"
    content = <<-EOT
      #!/bin/sh
      exec /usr/bin/sshd -D
    EOT
  }

  file "conf" {
    source = "motd.txt"
  }

  file "env" {
    directory = true
  }

  file "log/run" {
    link = "/etc/sv/agetty-generic/run"
  }
}

service "getty" {
  enabled = false

  file "run" {
    link = "../agetty-generic/run"
  }
}
