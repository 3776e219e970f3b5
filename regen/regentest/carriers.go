package regentest

import (
	"bytes"
	"os"
	"strconv"
)

// Carriers lists the live processes (not zombies, not this one) whose
// environment holds entry exactly: a test's own MIXSIM_READY_FILE=…, which
// whatever a run's tasks spawn inherits. It reads /proc (Linux); elsewhere
// it finds none.
func Carriers(entry string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	want := []byte("\x00" + entry + "\x00")
	for _, en := range entries {
		pid, err := strconv.Atoi(en.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		stat, err := os.ReadFile("/proc/" + en.Name() + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); err != nil || i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X' {
			continue
		}
		env, err := os.ReadFile("/proc/" + en.Name() + "/environ")
		if err == nil && bytes.Contains(append([]byte{0}, env...), want) {
			pids = append(pids, pid)
		}
	}
	return pids
}
