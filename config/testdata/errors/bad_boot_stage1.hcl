boot {
  stage1 = { cmd = "true" } # ERROR: Invalid stage1
  stage3 = ["sync", "echo a\necho b"] # ERROR: Invalid stage3
}
