package regen

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"
)

// mix regen's own VM as the driver (issue 15): the Hex package's Mix task
// runs regen through a port with :nouse_stdio, so regen has the terminal
// on fds 0-2 and the port on fds 3 (from the VM) and 4 (to the VM), and
// sets REGEN_MIX_DRIVER=fd. regen then starts no mix at all: it sends the
// driver's loader (vmdriver_cache.go: the one copy, vmDriverModule, from
// regen's cache or compiled from its file) and its socket's path to
// the VM on fd 4, and the VM (hex/lib/regen/driver_host.ex) evaluates it
// and runs RegenDriverV1.main(path, :host), which connects like the
// driver of an own VM. A failure before the config (an old Elixir, no
// such fd, a package without the host) is the usual fallback: the
// separate starts.
//
// The bootstrap is one frame on fd 4: a 4-byte big-endian length, then
// "regen-driver-host 1\n" PATH "\n" SOURCE.

const hostDriverEnv = "REGEN_MIX_DRIVER"

// hostConnectTimeout bounds the wait for mix regen's VM to connect: it is
// running already (a package without the driver host never connects).
const hostConnectTimeout = 10 * time.Second

// hostToVMFD is the port's pipe to the Mix VM, as the child sees it.
const hostToVMFD = 4

func (vm *vmDriver) hostIn(sock, boot string) error {
	f := os.NewFile(hostToVMFD, "mix regen's port")
	if f == nil {
		return fmt.Errorf("fd %d (mix regen's port) is not open", hostToVMFD)
	}
	payload := "regen-driver-host 1\n" + sock + "\n" + boot
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	if _, err := f.Write(append(frame, payload...)); err != nil {
		return fmt.Errorf("cannot reach mix regen's VM on fd %d: %w", hostToVMFD, err)
	}
	return nil
}
