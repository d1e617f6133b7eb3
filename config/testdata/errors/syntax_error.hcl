service "a" {
  command = ["x"
} # ERROR: Missing item separator
