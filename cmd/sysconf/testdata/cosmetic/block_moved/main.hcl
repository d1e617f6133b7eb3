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

file "/etc/motd" {
  content = "welcome\n"
}
