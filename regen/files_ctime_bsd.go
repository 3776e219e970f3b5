//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package regen

import "syscall"

// statCtime is a file's status-change time (the BSDs spell it Ctimespec).
func statCtime(st *syscall.Stat_t) int64 { return st.Ctimespec.Nano() }
