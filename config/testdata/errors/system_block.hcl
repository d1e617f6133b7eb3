system {
  layout      = "void"
  definitions = "etc/sv" # ERROR: Invalid layout path
  supervise   = "/run/runit/supervise" # ERROR: Invalid layout path

  stage "4" { # ERROR: Unknown stage script
    content = "x"
  }

  stage "1" {
    content = "#!/bin/sh\n"
    mode    = "rwxr-xr-x" # ERROR: Invalid file mode
  }

  stage "2" { # ERROR: Missing file content
    link = "/etc/runit/2.orig" # ERROR: Unsupported argument
  }
}

system { # ERROR: Duplicate system block
}
