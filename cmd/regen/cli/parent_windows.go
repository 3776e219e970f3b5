package cli

// watchParent: on Windows the Hex package runs regen without the driver
// host (no unix sockets in the BEAM there), and no parent is watched.
func watchParent(func(string) string, func()) (stop func()) { return func() {} }
