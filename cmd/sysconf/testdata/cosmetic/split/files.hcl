file "/etc/motd" {
  content = "welcome\n"
}
