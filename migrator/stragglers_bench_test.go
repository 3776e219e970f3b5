package migrator

import "testing"

// The check once a run's tasks are done: one /proc scan. Compare it with
// the run's own share (README's benchmark table) on the same machine.
func BenchmarkFindStragglers(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := FindStragglers("REGEN_RUN_ID=bench", nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
