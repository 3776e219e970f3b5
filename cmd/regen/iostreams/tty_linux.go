package iostreams

import (
	"os"
	"syscall"
	"unsafe"
)

// isTTY: the terminal driver answers TCGETS only for a terminal.
func isTTY(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
