file "/etc/motd" {
  content = "welcome\n"
}

service "tick" {
  for_each = { b = "2", a = "1" }
  command  = ["/bin/sleep", "100${each.value}"]
}

service "worker" {
  run = <<-EOT
    #!/bin/sh
    echo "${var.greeting} from worker"
    exec sleep 1000
  EOT
  depends_on = [service.web]
}

service "web" {
  command = ["/bin/sleep", "1000"]
  env = {
    GREET = var.greeting
    PORT  = var.port
  }
  log {
    keep = 3
  }
}

variable "greeting" {
  default = "hello"
}

variable "port" {
  type    = number
  default = 8080
}
