# VAR: prot=80
# ERROR: Value for undeclared variable
variable "port" {
  default = 1
}
