package regen

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolders reads the kernel's table of file locks (/proc/locks) for the
// PIDs holding a lock on f's inode. ok is false when the table cannot be
// read (then the caller falls back to the details in the file). Any lock
// type counts: flock is FLOCK, but on NFS the kernel emulates it with POSIX
// locks.
func lockHolders(f *os.File) (pids map[int]bool, ok bool) {
	fi, err := f.Stat()
	if err != nil {
		return nil, false
	}
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return nil, false
	}
	table, err := os.Open("/proc/locks")
	if err != nil {
		return nil, false
	}
	defer table.Close()
	dev := fmt.Sprintf("%02x:%02x:%d", devMajor(uint64(st.Dev)), devMinor(uint64(st.Dev)), st.Ino)
	ino := ":" + strconv.FormatUint(uint64(st.Ino), 10)
	pids = map[int]bool{}
	byInode := map[int]bool{} // same inode, other device numbering (overlay file systems)
	sc := bufio.NewScanner(table)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 29225 fe:00:9985465 0 EOF"; waiters
		// ("1: -> FLOCK …") hold nothing.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] == "->" {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil {
			continue
		}
		switch {
		case fields[5] == dev:
			pids[pid] = true
		case strings.HasSuffix(fields[5], ino):
			byInode[pid] = true
		}
	}
	if sc.Err() != nil {
		return nil, false
	}
	if len(pids) == 0 {
		pids = byInode
	}
	return pids, true
}

// devMajor and devMinor decode Linux's dev_t as the kernel prints it.
func devMajor(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&^uint64(0xfff) }
func devMinor(dev uint64) uint64 { return dev&0xff | (dev>>12)&^uint64(0xff) }
