package migrator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// SignalCause is the cancellation cause the engine attaches to its context
// (context.WithCancelCause) when regen itself receives a signal, so that Run
// can forward that same signal to the child: Ctrl-C reaches mix as SIGINT,
// a SIGTERM from a supervisor as SIGTERM.
type SignalCause struct{ Signal os.Signal }

func (c *SignalCause) Error() string {
	if c == nil || c.Signal == nil {
		return "interrupted"
	}
	return "interrupted by " + SignalDescription(c.Signal)
}

// SignalName returns the conventional name ("SIGINT") of a signal; Go's own
// String() says "interrupt", which users cannot map to kill(1) or docs.
func SignalName(sig os.Signal) string {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return sig.String()
	}
	switch s {
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	}
	if name, ok := unixSignalName(s); ok {
		return name
	}
	return fmt.Sprintf("signal %d", int(s))
}

// SignalDescription names a signal as the user knows it: "SIGINT (Ctrl-C)",
// "SIGHUP (the terminal was closed)".
func SignalDescription(sig os.Signal) string {
	name := SignalName(sig)
	switch sig {
	case syscall.SIGINT:
		return name + " (Ctrl-C)"
	case syscall.SIGQUIT:
		return name + ` (Ctrl-\)`
	case syscall.SIGHUP:
		return name + " (the terminal was closed)"
	}
	return name
}

// forwardSignal picks the first signal to send the child when ctx ends: the
// one carried by a *SignalCause, else SIGINT (what Ctrl-C would have sent).
// Any other (SIGHUP, SIGQUIT, SIGABRT...) reaches the child as SIGTERM, the
// BEAM's orderly stop: it ignores SIGHUP (only the escalation would stop
// it, Grace later), halts on SIGQUIT and dumps core on SIGABRT without
// letting a migration's transaction end cleanly.
func forwardSignal(ctx context.Context) syscall.Signal {
	var sc *SignalCause
	if errors.As(context.Cause(ctx), &sc) && sc != nil {
		if _, ok := sc.Signal.(ParentGone); ok {
			return syscall.SIGTERM // as for SIGHUP
		}
		if s, ok := sc.Signal.(syscall.Signal); ok && s != 0 {
			if s == syscall.SIGINT || s == syscall.SIGTERM || s == syscall.SIGKILL {
				return s
			}
			return syscall.SIGTERM
		}
	}
	return syscall.SIGINT
}

// ForwardSignal is the signal a cancelled ctx sends to a child's group
// (see forwardSignal), for a caller that stops a Process itself.
func ForwardSignal(ctx context.Context) syscall.Signal { return forwardSignal(ctx) }
