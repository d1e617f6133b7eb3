variable "name" {
  type    = string
  default = "vm1"
}

boot {
  hostname   = "${var.name}.example.org"
  stage1     = ["mkdir -p /run/app", "echo booted > /run/app/flag"]
  stage3     = <<-EOT
    #!/bin/sh
    echo bye
  EOT
  ctrlaltdel = "poweroff"
}
