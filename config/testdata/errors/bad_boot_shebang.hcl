boot {
  stage1 = "#!/usr/bin/python3\nprint(1)\n" # ERROR: Invalid stage1
}
