user "9lives" {} # ERROR: Invalid user name

user "joe" {}

user "joe" {} # ERROR: Duplicate user block

group "ops" {
  gid = -1 # ERROR: Invalid number
}

user "daemon1" {
  system      = true
  create_home = true # ERROR: Invalid create_home
}

user "ann" {
  shell       = "bin/sh" # ERROR: Invalid shell
  description = "a:b" # ERROR: Invalid description
  groups      = ["ok", "no way"] # ERROR: Invalid group name
}
