service "web" {
  user = "www" # ERROR: Conflicting file blocks

  file "run" {
    content = "#!/bin/sh\n"
    source  = "run.sh" # ERROR: Conflicting file contents
  }

  file "../escape" { # ERROR: Invalid service file path
    content = "x"
  }

  file "supervise" { # ERROR: Invalid service file path
    link = "/run/runit/supervise.web"
  }

  file "conf" { # ERROR: Missing file content
    mode = "0644"
  }

  file "conf" { # ERROR: Duplicate file block
    content = "x"
  }

  log { # ERROR: Conflicting file blocks
  }

  notification_fd = 3 # ERROR: Conflicting file blocks

  restart { # ERROR: Conflicting file blocks
    delay = "1s"
  }
}

service "noruns" { # ERROR: Missing run file
  file "finish" {
    content = "#!/bin/sh\n"
    mode    = "0755"
  }
}

service "link" {
  file "run" {
    link = "/bin/true"
    mode = "0755" # ERROR: Invalid file mode
  }
}
