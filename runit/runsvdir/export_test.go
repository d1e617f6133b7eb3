package runsvdir

// SocketName is socketName, for tests that wait until runsvdir serves.
var SocketName = socketName
