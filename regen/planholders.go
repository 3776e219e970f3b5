package regen

import "sync"

// holdersAsync asks every database for the other processes holding it
// while the caller works on: on SQLite that is a walk of /proc (every
// process's open files), independent of the plan and as slow as the
// machine is busy. It starts at start (the plan calls it once git and the
// databases are read: started before, it only competes with them for the
// CPUs), or at wait at the latest; wait returns the answers by repo index.
func (p *workspace) holdersAsync() (start func(), wait func() [][]string) {
	out := make([][]string, len(p.dbs))
	done := make(chan struct{})
	start = sync.OnceFunc(func() {
		go func() {
			defer close(done)
			for i, db := range p.dbs {
				out[i] = db.Holders()
			}
		}()
	})
	return start, func() [][]string {
		start()
		<-done
		return out
	}
}
