variable "port" {
    type = number
    default = 8080
}
variable "greeting" { default = "hello" }
service "web" {
    log { keep = 3 }
    env = { GREET = var.greeting, PORT = var.port }
    command = [ "/bin/sleep",
                "1000" ]
}
service "worker" {
    depends_on = [ service.web ]
    run = "#!/bin/sh\necho \"${var.greeting} from worker\"\nexec sleep 1000\n"
}
service "tick" {
    for_each = {
        "a" = "1"
        "b" = "2"
    }
    command = ["/bin/sleep", "100${each.value}"]
}
file "/etc/motd" {
          content = <<-EOT
    welcome
    EOT
}
