//go:build !linux

package migrator

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// platformHolders asks lsof (macOS and the BSDs ship it) where there is no
// /proc; without lsof it cannot be known.
func platformHolders(files []string) ([]Holder, bool) {
	lsof, err := exec.LookPath("lsof")
	if err != nil {
		return nil, false
	}
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	if len(existing) == 0 {
		return nil, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// -F pc: one "p<pid>" and one "c<command>" line per process; exit 1
	// means none has them open.
	out, err := exec.CommandContext(ctx, lsof, append([]string{"-n", "-P", "-F", "pc", "--"}, existing...)...).Output()
	if err != nil && len(out) == 0 {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return nil, true
		}
		return nil, false
	}
	self := os.Getpid()
	var holders []Holder
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "p"):
			pid, _ := strconv.Atoi(line[1:])
			holders = append(holders, Holder{PID: pid})
		case strings.HasPrefix(line, "c") && len(holders) > 0:
			holders[len(holders)-1].Command = line[1:]
		}
	}
	var others []Holder
	for _, h := range holders {
		if h.PID != self && h.PID != 0 {
			others = append(others, h)
		}
	}
	return others, true
}
