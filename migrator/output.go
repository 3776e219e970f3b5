package migrator

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// maxLineBytes bounds the buffer for one line: a child printing megabytes
// without a newline is shown in pieces rather than held in memory.
const maxLineBytes = 64 << 10

// stderrTailBytes is how much of the child's stderr Result keeps for error
// messages: enough for an Elixir exception and the top of its stack trace.
const stderrTailBytes = 4 << 10

// lineWriter forwards a child's output line by line, each line prefixed with
// the indent, so the child's output stands apart from regen's own.
//
// It never returns an error: os/exec stops draining the pipe when a writer
// fails, and the child would then die of SIGPIPE or block in the middle of a
// migration just because regen's terminal went away. The first destination
// error is kept in err instead.
type lineWriter struct {
	mu     *sync.Mutex // shared by stdout and stderr so their lines never interleave mid-line
	term   *termLine   // shared by stdout and stderr: a prompt left open on the terminal
	dst    io.Writer
	prefix []byte
	buf    []byte // the current partial line
	out    []byte // scratch: prefix+line, written in one call
	err    error
	sync   *syncLine // nil: every line is shown
	timer  *time.Timer
}

// termLine is a prompt shown without its newline while the relay is on
// (a question the user is to answer): the line is open on the terminal
// until the child ends it, the user's Enter ends it (the terminal echoes
// it), or other output must start on a line of its own.
type termLine struct {
	relay *TTYRelay // nil: partial lines wait for their newline
	open  *lineWriter
	echo  uint64 // relay.Echoed() when the prompt was shown
}

// syncLine recognises a driver's sync lines (Command.SyncMarker).
type syncLine struct {
	marker []byte
	on     func(token string)
}

func newLineWriter(dst io.Writer, prefix string, mu *sync.Mutex, term *termLine) *lineWriter {
	if dst == nil {
		dst = io.Discard
	}
	return &lineWriter{mu: mu, term: term, dst: dst, prefix: []byte(prefix)}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			if len(w.buf) >= maxLineBytes {
				w.emit(w.buf)
				w.buf = w.buf[:0]
			}
			break
		}
		if len(w.buf) > 0 {
			w.buf = append(w.buf, p[:i+1]...)
			w.line(w.buf)
			w.buf = w.buf[:0]
		} else {
			w.line(p[:i+1])
		}
		p = p[i+1:]
	}
	if len(w.buf) > 0 && w.term.relay.On() && w.timer == nil {
		// A prompt: show it soon, so it is there before the user answers.
		w.timer = time.AfterFunc(partialDelay, w.showPartial)
	}
	return n, nil
}

// kick arms the prompt's timer for a line held before the relay went on.
func (w *lineWriter) kick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 && w.timer == nil {
		w.timer = time.AfterFunc(partialDelay, w.showPartial)
	}
}

// showPartial shows the held part of a line without ending it.
func (w *lineWriter) showPartial() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = nil
	if len(w.buf) == 0 || w.err != nil || !w.term.relay.On() {
		return
	}
	w.out = w.out[:0]
	if w.term.open != w {
		w.endOpen()
		w.out = append(w.out, w.prefix...)
	}
	w.out = append(w.out, w.buf...)
	w.buf = w.buf[:0]
	w.write(w.out)
	w.term.open, w.term.echo = w, w.term.relay.Echoed()
}

// endOpen ends a prompt left open on the terminal before other output:
// with a newline unless the user's Enter already ended it.
func (w *lineWriter) endOpen() {
	o := w.term.open
	if o == nil {
		return
	}
	w.term.open = nil
	if w.term.relay.Echoed() == w.term.echo {
		o.write([]byte("\n"))
	}
}

func (w *lineWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.dst.Write(b); err != nil {
		w.err = err
	}
}

// Flush writes a final line that had no newline (a prompt, a crash mid-line)
// and ends it, so whatever regen prints next starts on its own line.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = w.buf[:0]
	}
	if w.term.open == w {
		w.endOpen()
	}
}

// line shows one whole line, or, for a sync line, what stood before the
// marker (output that did not end its line) and then passes the token on:
// everything the child wrote before it has been shown by then.
func (w *lineWriter) line(l []byte) {
	if w.sync != nil {
		if i := bytes.Index(l, w.sync.marker); i >= 0 {
			if i > 0 {
				w.emit(l[:i])
			} else {
				w.endOpen() // regen reports next: not on a prompt's line
			}
			w.sync.on(string(bytes.TrimRight(l[i+len(w.sync.marker):], "\r\n")))
			return
		}
	}
	w.emit(l)
}

func (w *lineWriter) emit(line []byte) {
	if w.err != nil {
		return
	}
	if w.term.open == w && w.term.relay.Echoed() == w.term.echo {
		// The rest of the prompt's own line (the user has not answered):
		// it continues the line shown.
		w.term.open = nil
		w.write(line)
		if line[len(line)-1] != '\n' {
			w.write([]byte("\n"))
		}
		return
	}
	if w.term.open == w && len(bytes.TrimRight(line, "\r\n")) == 0 {
		w.term.open = nil // the answer's Enter ended the prompt's line
		return
	}
	w.endOpen()
	w.out = w.out[:0]
	// A blank line keeps the gutter ("    │") so the child's output stays
	// one block, without the prefix's trailing space.
	if len(bytes.TrimRight(line, "\r\n")) == 0 {
		w.out = append(w.out, bytes.TrimRight(w.prefix, " \t")...)
	} else {
		w.out = append(w.out, w.prefix...)
	}
	w.out = append(w.out, line...)
	if line[len(line)-1] != '\n' {
		w.out = append(w.out, '\n')
	}
	w.write(w.out)
}

// tailBuffer keeps the last max bytes written to it. Only the stderr copy
// goroutine writes to it; a driver reads a request's share while it runs.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns the tail; when older output was cut off it starts at the
// next line boundary so an error message does not open mid-word.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tailOf(t.buf)
}

func (t *tailBuffer) tailOf(b []byte) string {
	if t.total > int64(len(b)) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i+1 < len(b) {
			b = b[i+1:]
		}
	}
	return string(b)
}

func (t *tailBuffer) mark() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// since is the tail of what was written after mark (all that is kept, when
// more was written since than the buffer holds).
func (t *tailBuffer) since(mark int64) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.total - mark; n < int64(len(t.buf)) {
		return string(t.buf[int64(len(t.buf))-n:])
	}
	return t.tailOf(t.buf)
}
