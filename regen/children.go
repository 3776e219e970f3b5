package regen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// runMarkerEnv is set in the environment of every child a run starts, to
// the run's id: whatever the child spawns inherits it, so after a crash
// regen can find all of them, and tell them from processes that merely got
// a recorded number again (Linux).
const runMarkerEnv = "REGEN_RUN_ID"

func runMarker(j *Journal) string { return runMarkerEnv + "=" + j.RunID }

// journaledCommand is a mix command of the open journal's run: the child
// carries the run's marker and is recorded in the journal as it starts.
func (e *Engine) journaledCommand(argv []string, dir string) migrator.Command {
	cmd := migrator.Command{Argv: argv, Dir: dir}
	j := e.live
	if j == nil || j.Outcome != OutcomeOpen {
		return cmd // no run open (or it was closed): nothing to record in
	}
	marker := runMarker(j)
	cmd.Env = []string{marker}
	cmd.Started = func(c migrator.Child) error {
		c.Marker = marker
		j.Children = append(j.Children, c)
		return j.save(e.stateDir)
	}
	return cmd
}

// stopLeftovers makes sure no process of the interrupted run j is still
// running (a mix child that outlived a kill -9 of regen could write a
// migration after recover, or hold mix's build lock for good), and says
// what it stopped. An error means one may still be running.
func (e *Engine) stopLeftovers(j *Journal) error {
	rep, err := migrator.StopLeftovers(runMarker(j), j.Children, e.runner.Grace)
	if len(rep.Stopped) > 0 {
		var pids []string
		for _, p := range rep.Stopped {
			pids = append(pids, fmt.Sprint(p))
		}
		e.rep.Warn("stopped what was still running of the interrupted run %s (pid %s) before touching anything", j.RunID, strings.Join(pids, ", "))
	}
	for _, u := range rep.Unsure {
		e.rep.Warn("%s", u)
	}
	return err
}

// stopLeftoversOfUnfinished is stopLeftovers when the journal cannot be
// read: a backup folder without its run.json is a run that did not finish,
// and its name is the run id its children carry (found on Linux).
func (e *Engine) stopLeftoversOfUnfinished() {
	dir := filepath.Join(e.stateDir, "backup")
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if !en.IsDir() || exists(filepath.Join(dir, en.Name(), "run.json")) {
			continue
		}
		if err := e.stopLeftovers(&Journal{RunID: en.Name()}); err != nil {
			e.rep.Warn("%v", err)
		}
	}
}
