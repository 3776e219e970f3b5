package regentest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// Holder is a second process holding the project's SQLite database open on
// one connection (like a dev server): see cmd sqliteholder.
type Holder struct {
	PID int
	p   *Project
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// Hold starts the second process; it is stopped at the test's end.
func (p *Project) Hold() *Holder {
	p.T.Helper()
	cmd := exec.Command(filepath.Join(Binaries(p.T), "sqliteholder"), p.DB)
	in, err := cmd.StdinPipe()
	if err != nil {
		p.T.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.T.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		p.T.Fatal(err)
	}
	h := &Holder{p: p, cmd: cmd, in: in, out: bufio.NewReader(out)}
	p.T.Cleanup(h.Close)
	line := h.read()
	if _, err := fmt.Sscanf(line, "ready %d", &h.PID); err != nil {
		cmd.Wait()
		p.T.Fatalf("sqliteholder did not start: %q %s", line, stderr.String())
	}
	return h
}

func (h *Holder) read() string {
	line, _ := h.out.ReadString('\n')
	return strings.TrimSpace(line)
}

func (h *Holder) ask(cmd string) string {
	h.p.T.Helper()
	if _, err := fmt.Fprintln(h.in, cmd); err != nil {
		h.p.T.Fatalf("sqliteholder: %v", err)
	}
	return h.read()
}

// State is the tables' states as the holder's connection sees them.
func (h *Holder) State() map[string]migrator.TableState {
	h.p.T.Helper()
	line := h.ask("state")
	var st map[string]migrator.TableState
	if err := json.Unmarshal([]byte(line), &st); err != nil {
		h.p.T.Fatalf("sqliteholder state: %q", line)
	}
	return st
}

// Exec runs SQL on the holder's connection; it fails the test on an error.
func (h *Holder) Exec(sql string) {
	h.p.T.Helper()
	if got := h.ask("exec " + sql); got != "ok" {
		h.p.T.Fatalf("sqliteholder %s: %s", sql, got)
	}
}

// Close ends the holder (its input closes, it exits).
func (h *Holder) Close() {
	if h.cmd.ProcessState != nil {
		return
	}
	h.in.Close()
	h.cmd.Wait()
}

// Tables is the database's tables' states read afresh (a new connection).
func (p *Project) Tables() map[string]migrator.TableState {
	p.T.Helper()
	st, err := migrator.SQLiteTableStates(context.Background(), p.DB)
	if err != nil {
		p.T.Fatal(err)
	}
	return st
}
