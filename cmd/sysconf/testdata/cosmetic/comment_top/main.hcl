# The machine behind the web site.
# Owner: ops.

variable "port" {
  type    = number
  default = 8080
}

variable "greeting" {
  default = "hello"
}

service "web" {
  command = ["/bin/sleep", "1000"]
  env = {
    PORT  = var.port
    GREET = var.greeting
  }
  log {
    keep = 3
  }
}

service "worker" {
  run = <<-EOT
    #!/bin/sh
    echo "${var.greeting} from worker"
    exec sleep 1000
  EOT
  depends_on = [service.web]
}

service "tick" {
  for_each = { a = "1", b = "2" }
  command  = ["/bin/sleep", "100${each.value}"]
}

file "/etc/motd" {
  content = "welcome\n"
}
