package migrator

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// A task that asks (codegen's "Are you renaming posts.title to
// posts.name? [Yn] ") must reach the user, yet a child never gets the
// terminal itself: in a process group of its own a read of the controlling
// terminal stops it (SIGTTIN), and an OTP -noshell VM reads its stdin
// eagerly, so it would take lines typed for regen's own prompts. So the
// child's stdin is a pipe, and regen forwards what the user types only
// while the asking task runs and only while regen is in the terminal's
// foreground group. poll(2) with a short timeout lets the relay stop
// promptly, leaving what is typed after the task to regen.

// relayPoll bounds how long the relay waits for input before it checks
// whether it must stop.
const relayPoll = 50 * time.Millisecond

// partialDelay is how long a line without its newline (a prompt) is held
// before it is shown while the relay is on.
const partialDelay = 60 * time.Millisecond

// TTYRelay forwards the user's terminal to a child's stdin while it is on.
// Its zero value is not usable; NewTTYRelay gives nil when there is no
// terminal to relay.
type TTYRelay struct {
	in     *os.File
	on     atomic.Bool
	echoed atomic.Uint64 // newlines forwarded: the terminal echoed each one
	mu     sync.Mutex    // one forwarding goroutine at a time
}

// NewTTYRelay relays in when it is a terminal that this process may read
// (regen in its foreground process group); nil otherwise.
func NewTTYRelay(in *os.File) *TTYRelay {
	if in == nil || !foreground(in) {
		return nil
	}
	return &TTYRelay{in: in}
}

// On reports whether the relay is forwarding now.
func (r *TTYRelay) On() bool { return r != nil && r.on.Load() }

// Echoed is the number of line ends forwarded so far: after a new one the
// terminal's cursor is at the start of a line (the user pressed Enter).
func (r *TTYRelay) Echoed() uint64 {
	if r == nil {
		return 0
	}
	return r.echoed.Load()
}

// Forward copies what the user types to w until stop is called; stop
// waits for the copy to end, so nothing typed after it goes to w. Input
// is read only while this process is in the terminal's foreground group
// (a background regen would be stopped by SIGTTIN). The user's end of
// input (Ctrl-D) calls eof and ends the copy: the child must read end of
// input too, not wait for more.
func (r *TTYRelay) Forward(w io.Writer, eof func()) (stop func()) {
	if r == nil {
		return func() {}
	}
	r.mu.Lock()
	quit := make(chan struct{})
	done := make(chan struct{})
	r.on.Store(true)
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			select {
			case <-quit:
				return
			default:
			}
			if !foreground(r.in) {
				time.Sleep(relayPoll)
				continue
			}
			ready, err := pollIn(r.in, relayPoll)
			if err != nil {
				eof()
				return
			}
			if !ready {
				continue
			}
			n, err := r.in.Read(buf)
			if n > 0 {
				for _, b := range buf[:n] {
					if b == '\n' || b == '\r' {
						r.echoed.Add(1)
					}
				}
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil || n == 0 {
				eof() // Ctrl-D, or the terminal is gone (hangup)
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			<-done
			r.on.Store(false)
			r.mu.Unlock()
		})
	}
}
