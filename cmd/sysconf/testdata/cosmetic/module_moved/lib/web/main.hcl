variable "port" {
  type = number
}

variable "greeting" {
  type = string
}

output "command" {
  value = ["/bin/sleep", "1000"]
}

output "env" {
  value = { PORT = var.port, GREET = var.greeting }
}

output "keep" {
  value = 3
}

output "worker_script" {
  value = "#!/bin/sh\necho \"${var.greeting} from worker\"\nexec sleep 1000\n"
}

output "ticks" {
  value = { a = "1", b = "2" }
}
