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

// stopStragglers stops what the run's tasks left running (see
// migrator.Straggler), sparing the run's driver VM while it lives, with
// everything below it (its port programs end with it; afterVM looks
// again once it is gone), and mix regen's VM's port programs. found is what
// was running; err names what still is after SIGKILL. Where processes
// cannot be listed (not Linux) nothing is found, and none is claimed.
func (e *Engine) stopStragglers(j *Journal) (found []migrator.Straggler, err error) {
	var spare []migrator.Child
	switch {
	case e.vm != nil && e.vm.host:
		// mix regen's VM outlives the run: its port programs (inet_gethost,
		// started in a task, with the marker) are its own, for good.
		spare = []migrator.Child{migrator.Parent()}
	case e.vm != nil && e.vm.proc != nil && !e.vm.proc.Exited():
		spare = []migrator.Child{e.vm.child}
	}
	found, ferr := migrator.FindStragglers(runMarker(j), j.Children, spare)
	if ferr != nil || len(found) == 0 {
		return nil, nil
	}
	return found, migrator.StopStragglers(found, e.runner.Grace)
}

// tasksDone is the check once the run's last task ran: nothing the tasks
// started may run on. What a straggler did after regen's checks, or may
// have done half when stopped, cannot be vouched for, so the run is
// restored (the error says what ran).
func (e *Engine) tasksDone(j *Journal) error {
	found, err := e.stopStragglers(j)
	if len(found) == 0 {
		return nil
	}
	return &StragglerError{Processes: found, StopErr: err}
}

// stragglersOfFailure stops what a failed or interrupted task left running
// before regen restores or rebuilds (it would change what was put back);
// the problem, when one is still running, makes a restore unproven.
func (e *Engine) stragglersOfFailure(j *Journal) (problem string) {
	found, err := e.stopStragglers(j)
	if len(found) == 0 {
		return ""
	}
	if err != nil {
		return fmt.Sprintf("a process the run's tasks started is still running and may change what was restored: %v", err)
	}
	e.rep.Warn("stopped what the run's tasks had left running: %s", migrator.DescribeStragglers(found))
	return ""
}

// afterVM looks once more when the run's own driver VM has ended: a
// program a task started as a port (Port.open) was the VM's while it
// lived, and one that does not end with it (it ignores the closed pipe)
// is stopped now. The run was committed (or restored) before: regen says
// what it stopped, so the user can check (regen status).
func (e *Engine) afterVM(j *Journal) {
	found, err := e.stopStragglers(j)
	if len(found) == 0 {
		return
	}
	e.rep.Warn("a program a task had started outlived the mix VM, after the run had ended: %s; regen stopped it. What it did after the run's checks was not checked: see `regen status`", migrator.DescribeStragglers(found))
	if err != nil {
		e.rep.Warn("%v", err)
	}
}

// StragglerError: the run's tasks were done, but a process they started
// was still running.
type StragglerError struct {
	Processes []migrator.Straggler
	StopErr   error // not nil: one is still running after SIGKILL
}

func (e *StragglerError) Error() string {
	noun, was, it, they := "process", "was", "it", "it"
	if len(e.Processes) > 1 {
		noun, was, it, they = "processes", "were", "them", "they"
	}
	what := "regen stopped " + it
	if e.StopErr != nil {
		what = "regen could not stop " + it + ": " + e.StopErr.Error()
	}
	return fmt.Sprintf("%s %s, started by the run's tasks, %s still running after they ended; %s, because %s could change the files or databases after regen checked them. A task, or the project's code it runs, starts a program in the background without waiting for it: make it wait", noun, migrator.DescribeStragglers(e.Processes), was, what, they)
}
