variable "port" {
  type    = number
  default = 8080
}

variable "greeting" {
  default = "hello"
}
