service "web" {
  command    = ["x"]
  depends_on = ["db", "cahce"] # ERROR: Unknown service
}
service "db" {
  command = ["x"]
}
