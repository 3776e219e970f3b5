package regentest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal a test runs a command on, as a user's terminal:
// the command is the session leader with the terminal as its controlling
// terminal, in its foreground process group. Out collects what the
// terminal shows (the command's output and the echo of what is typed).
type PTY struct {
	t      testing.TB
	Master *os.File
	TTY    *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
}

// OpenPTY opens a new pseudo-terminal (skipped where there is none).
func OpenPTY(t testing.TB) *PTY {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &PTY{t: t, Master: master, TTY: tty, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); master.Close() })
	return p
}

// Attach makes cmd run on the terminal: stdin, stdout and stderr, a new
// session whose controlling terminal it is.
func (p *PTY) Attach(cmd *exec.Cmd) {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.TTY, p.TTY, p.TTY
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
}

// Output is what the terminal has shown so far.
func (p *PTY) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// WaitFor waits until the terminal has shown s (after what was shown at
// from bytes), failing the test after a minute; it returns the offset
// just after s.
func (p *PTY) WaitFor(s string, from int) int {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		out := p.Output()
		if from <= len(out) {
			if i := strings.Index(out[from:], s); i >= 0 {
				return from + i + len(s)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatalf("the terminal never showed %q; it shows:\n%s", s, p.Output())
	return 0
}

// Type types s on the keyboard.
func (p *PTY) Type(s string) {
	p.t.Helper()
	if _, err := p.Master.WriteString(s); err != nil {
		p.t.Fatal(err)
	}
}

// Pending is what was typed and not yet read by anyone (read now, so a
// second call sees nothing): input a command must have left alone.
func (p *PTY) Pending() string {
	p.t.Helper()
	var got []byte
	buf := make([]byte, 4096)
	for {
		fds := []unix.PollFd{{Fd: int32(p.TTY.Fd()), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 200)
		if err != nil && err != unix.EINTR {
			p.t.Fatal(err)
		}
		if n <= 0 {
			return string(got)
		}
		k, err := syscall.Read(int(p.TTY.Fd()), buf)
		if k > 0 {
			got = append(got, buf[:k]...)
		}
		if err != nil || k <= 0 {
			return string(got)
		}
	}
}
