directory "srv/web" {} # ERROR: Invalid directory path

directory "/srv/web" {
  mode = "777x" # ERROR: Invalid mode
}

directory "/srv/web" {} # ERROR: Duplicate directory block

mount "/dev/shm/pg" {
  type    = "tmpfs"
  options = ["size=64m,nosuid"] # ERROR: Invalid mount option
}

mount "/mnt/x" { # ERROR: Missing required argument
}

mount "/mnt/y" {
  type  = "tmp fs" # ERROR: Invalid mount type
  owner = "a b" # ERROR: Invalid user name
}
