package migrator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// childEnv switches the test binary into a small child program, so Runner
// tests run real processes without depending on a shell's behaviour.
const childEnv = "MIGRATOR_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// childCommand runs this test binary as the child program named mode.
func childCommand(mode string, extraEnv ...string) Command {
	return Command{Argv: []string{os.Args[0], "-test.run=^$"}, Env: append([]string{childEnv + "=" + mode}, extraEnv...)}
}

func runChild(mode string) int {
	switch mode {
	case "exit":
		code, _ := strconv.Atoi(os.Getenv("CHILD_CODE"))
		return code
	case "output":
		fmt.Println("==> app")
		fmt.Println("Compiling 2 files (.ex)")
		fmt.Fprintln(os.Stderr, "** (Mix) something failed")
		fmt.Println()
		fmt.Print("no newline at the end")
		return 3
	case "env":
		fmt.Println(os.Getenv("CHILD_VALUE"))
		return 0
	case "stdin":
		data, err := io.ReadAll(os.Stdin)
		fmt.Printf("read %d bytes, err=%v\n", len(data), err)
		if fi, err := os.Stdin.Stat(); err == nil {
			fmt.Printf("stdin is char device: %v\n", fi.Mode()&os.ModeCharDevice != 0)
		}
		return 0
	case "pgid":
		fmt.Printf("pid=%d pgid=%d\n", os.Getpid(), syscall.Getpgrp())
		return 0
	case "bigstderr":
		for i := 0; i < 1000; i++ {
			fmt.Fprintf(os.Stderr, "line %04d of a long stack trace\n", i)
		}
		fmt.Fprint(os.Stderr, "** (RuntimeError) the end")
		return 1
	case "trap":
		// Like mix on Ctrl-C: notice, clean up, exit with its own code.
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		fmt.Println("ready")
		sig := <-ch
		fmt.Printf("got %v, rolling back\n", sig)
		return 42
	case "ignore":
		// A child that ignores the polite signals must still be stopped.
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 0
	case "ignore-int":
		signal.Ignore(syscall.SIGINT)
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 0
	case "holddb":
		// Another process with the database open, idle, like a dev server.
		f, err := os.Open(os.Getenv("CHILD_DB"))
		if err != nil {
			return 11
		}
		defer f.Close()
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 0
	case "sleep":
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 0
	case "parent":
		// Spawns a grandchild in its own (inherited) process group and
		// survives SIGINT itself, so only a signal sent to the whole group
		// can reach the grandchild.
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT)
		gc := exec.Command(os.Args[0], "-test.run=^$")
		gc.Env = append(os.Environ(), childEnv+"=grandchild")
		gc.Stdout, gc.Stderr = os.Stdout, os.Stderr
		if err := gc.Run(); err != nil {
			return 10
		}
		return 7
	case "nap":
		time.Sleep(1500 * time.Millisecond)
		return 0
	case "runner":
		// regen in miniature: runs a sleeping child and says its pid; the
		// test then kills this process with SIGKILL.
		var r Runner
		cmd := childCommand("sleep")
		cmd.Started = func(c Child) error { fmt.Printf("child=%d\n", c.PID); return nil }
		r.Run(context.Background(), cmd)
		return 0
	case "grandchild":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT)
		fmt.Println("ready")
		<-ch
		_ = os.WriteFile(os.Getenv("CHILD_MARKER"), []byte("got SIGINT"), 0o644)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown child mode %q\n", mode)
	return 99
}

// watchBuffer collects output and closes seen once it contains want: the
// tests wait for a child to say "ready" before signalling it.
type watchBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func newWatchBuffer(want string) *watchBuffer {
	return &watchBuffer{want: want, seen: make(chan struct{})}
}

func (w *watchBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.want != "" && strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *watchBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
