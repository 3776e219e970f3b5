package regen

// observeGuard is guard for a command that changes nothing (a dry run): it
// refuses as guard does when a run is live or a journal is open, but only
// looks at the lock, so it can never make a starting run refuse.
func (e *Engine) observeGuard() error {
	if h := e.Running(); h != nil {
		return &LockedError{Holder: *h, Path: lockPath(e.stateDir)}
	}
	return e.refuseIfJournal()
}

// runGuard is a run's lock: the lock itself first (a live run holds it and
// has its journal open; only a journal without a live holder means an
// interrupted run). A dry run changes nothing, so it only looks at the lock
// (and gets a nil lock, whose release does nothing).
func (e *Engine) runGuard(dryRun bool, command string) (*lock, error) {
	if dryRun {
		return nil, e.observeGuard()
	}
	return e.guard(command)
}
