variable "port" {
  type    = number
  default = 5432
}
service "db" {
  command = ["/usr/bin/postgres", "-p", var.port]
  user = "postgres"
  env = { PGPORT = var.port }
  log { size = "10MB" }
}
service "web" {
  run = "exec sleep 100"
  depends_on = [service.db]
}
