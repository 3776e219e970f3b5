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
