package regen

// hostPortInherited: mix regen's VM is never the driver on Windows (no
// unix sockets in the BEAM there).
func hostPortInherited(int) bool { return false }
