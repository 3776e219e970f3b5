package regen

import "syscall"

// statCtime is a file's status-change time (Linux spells the field Ctim).
func statCtime(st *syscall.Stat_t) int64 { return st.Ctim.Nano() }
