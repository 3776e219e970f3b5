//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package iostreams

import (
	"os"
	"syscall"
	"unsafe"
)

// isTTY: the terminal driver answers TIOCGETA only for a terminal.
func isTTY(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGETA, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
