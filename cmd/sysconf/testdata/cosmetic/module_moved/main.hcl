# module/ with its module moved from ./webdefs to ./lib/web: the same
# values, so the same services.
variable "port" {
  type    = number
  default = 8080
}

variable "greeting" {
  default = "hello"
}

module "web" {
  source   = "./lib/web"
  port     = var.port
  greeting = var.greeting
}

service "web" {
  command = module.web.command
  env     = module.web.env
  log {
    keep = module.web.keep
  }
}

service "worker" {
  run        = module.web.worker_script
  depends_on = [service.web]
}

service "tick" {
  for_each = module.web.ticks
  command  = ["/bin/sleep", "100${each.value}"]
}

file "/etc/motd" {
  content = "welcome\n"
}
