service "a" {
  command      = ["x"]
  stop_timeout = "soon" # ERROR: Invalid stop timeout
}
service "b" {
  command      = ["x"]
  stop_timeout = 3 # ERROR: Invalid stop timeout
}
service "c" {
  command      = ["x"]
  stop_timeout = "-3s" # ERROR: Invalid stop timeout
}
service "d" {
  command      = ["x"]
  stop_timeout = "1500us" # ERROR: Invalid stop timeout
}
service "e" {
  command      = ["x"]
  stop_timeout = ["3s"] # ERROR: Incorrect attribute value type
}
