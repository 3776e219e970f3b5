package regen_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// TestStatusFolderProblemsInNameOrder: the migrations folder's problems
// (links, non-files) come in name order, as when the folder check read
// the folder itself with os.ReadDir; it now uses the walk's listing, which
// is in the file system's order.
func TestStatusFolderProblemsInNameOrder(t *testing.T) {
	p := regentest.NewProject(t)
	dir := filepath.Join(p.Root, "priv/repo/migrations")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "target.exs")
	if err := os.WriteFile(outside, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 40 {
		// Versions out of step with the names' order on disk (ext4 hashes).
		name := fmt.Sprintf("2026%010d_m%02d.exs", (i*7919)%40, i)
		abs := filepath.Join(dir, name)
		if i%5 == 0 {
			if err := syscall.Mkfifo(abs, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Symlink(outside, abs); err != nil {
			t.Fatal(err)
		}
		want = append(want, "priv/repo/migrations/"+name)
	}
	sort.Strings(want)
	e, err := regen.Open(regen.Options{Dir: p.Root, Getenv: p.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pr := range st.Plan.Repos[0].Problems {
		if pr.Kind == regen.ProblemSymlink || pr.Kind == regen.ProblemNotFile {
			got = append(got, pr.Path)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("folder problems in this order:\n%v\nwant name order:\n%v", got, want)
	}
}
