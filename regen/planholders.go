package regen

// holdersAsync asks every database for the other processes holding it
// while the caller reads git: on SQLite that is a walk of /proc (every
// process's open files), independent of the plan and as slow as the
// machine is busy. wait returns the answers by repo index.
func (p *workspace) holdersAsync() (wait func() [][]string) {
	out := make([][]string, len(p.dbs))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, db := range p.dbs {
			out[i] = db.Holders()
		}
	}()
	return func() [][]string {
		<-done
		return out
	}
}
