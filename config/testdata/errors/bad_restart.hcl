service "a" {
  command = ["x"]
  restart {
    delay = "0" # ERROR: Invalid restart delay
  }
}
service "b" {
  command = ["x"]
  restart {
    delay     = "1s"
    max_delay = "500ms" # ERROR: Invalid restart delay
  }
}
service "c" {
  command = ["x"]
  restart {
    reset_after = 30 # ERROR: Invalid restart delay
  }
}
service "d" {
  command = ["x"]
  restart {
    tries = 3 # ERROR: Unsupported argument
  }
}
service "e" {
  command         = ["x"]
  notification_fd = 1 # ERROR: Invalid number
}
service "f" {
  command = ["x"]
  limits {
    cpu_weight = 0 # ERROR: Invalid number
    pids_max   = -1 # ERROR: Invalid number
    memory_max = "lots" # ERROR: Invalid size
  }
}
