//go:build !windows

package cli

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/regen-tool/regen/regen"
)

// parentPoll is how often regen looks whether its parent is still there.
const parentPoll = 200 * time.Millisecond

// portFromVM is the fd of the port's pipe from mix regen's VM (the port
// is opened with :nouse_stdio: fd 3 from the VM, fd 4 to it).
const portFromVM = 3

// watchParent calls gone (once) when the VM of `mix regen` that started
// regen goes away: the port's pipe from the VM reaches its end (the VM
// never writes on it, so only its end is read), or regen's parent changes
// (the VM's child launcher ended with it). A run started by a shell is
// not watched: nohup and `&` mean to outlive the shell, and its terminal
// closing is SIGHUP. stop ends the parent poll.
func watchParent(getenv func(string) string, gone func()) (stop func()) {
	if !regen.UnderMixRegen(getenv) {
		return func() {}
	}
	var once sync.Once
	fire := func() { once.Do(gone) }
	if f := portPipe(); f != nil {
		go func() {
			buf := make([]byte, 512)
			for {
				_, err := f.Read(buf)
				if errors.Is(err, io.EOF) {
					fire()
				}
				if err != nil {
					return // any other error: this way cannot tell
				}
			}
		}()
	}
	done := make(chan struct{})
	if ppid := os.Getppid(); ppid > 1 {
		go func() {
			tick := time.NewTicker(parentPoll)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					if os.Getppid() != ppid {
						fire()
						return
					}
				}
			}
		}()
	}
	return func() { close(done) }
}

// portPipe is the port's pipe from the VM, when fd 3 is one (a pipe or a
// socket); nil otherwise (not started by the Hex package's port).
func portPipe() *os.File {
	var st syscall.Stat_t
	if err := syscall.Fstat(portFromVM, &st); err != nil {
		return nil
	}
	if mode := st.Mode & syscall.S_IFMT; mode != syscall.S_IFIFO && mode != syscall.S_IFSOCK {
		return nil
	}
	return os.NewFile(portFromVM, "mix regen's port")
}
