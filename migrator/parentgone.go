package migrator

// ParentGone is the interruption of a regen whose parent went away while
// it ran: the VM of `mix regen`, which runs regen as a port of its own
// (killed, or halted from its BREAK menu with `a`). Like a closed terminal
// for a shell's commands, nobody is left to see the run end, so it is
// interrupted and restored. It is an os.Signal so that it travels as every
// interruption does (SignalCause, the journal's compensation, the
// InterruptedError); regen exits as for SIGHUP (129), and its children are
// sent SIGTERM, as for SIGHUP (forwardSignal).
type ParentGone struct {
	Parent string // what went away, for messages: "mix regen's VM"
}

func (p ParentGone) String() string { return "the end of " + p.Parent + ", which started regen" }

// Signal makes ParentGone an os.Signal.
func (ParentGone) Signal() {}
