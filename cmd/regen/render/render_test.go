package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen"
)

func items(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("priv/resource_snapshots/repo/posts/%014d.json", i)
	}
	return out
}

func TestSummarizeKeepsAScreenfulAndCountsTheRest(t *testing.T) {
	for _, c := range []struct {
		n, want int
		last    string
	}{
		{0, 0, ""},
		{25, 25, "priv/resource_snapshots/repo/posts/00000000000024.json"},
		{26, 21, "… and 6 more (use --verbose to list all)"},
		{10000, 21, "… and 9,980 more (use --verbose to list all)"},
	} {
		got := Summarize(items(c.n), false)
		if len(got) != c.want || (c.want > 0 && got[len(got)-1] != c.last) {
			t.Errorf("%d items: %d lines, last %q", c.n, len(got), got[len(got)-1:])
		}
		if all := Summarize(items(c.n), true); len(all) != c.n {
			t.Errorf("%d items, verbose: %d lines", c.n, len(all))
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 9980: "9,980", 1234567: "1,234,567", -1200: "-1,200"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// Every listing of the plan goes through the summary: 10,000 files to
// remove, stray and ignored files and applied versions print a screenful each.
func TestPlanSummarisesEveryListing(t *testing.T) {
	rp := regen.RepoPlan{Name: "repo", Migrations: "priv/repo/migrations", Database: "dev.db",
		Remove: items(10000), Stray: items(10000), Ignored: items(10000)}
	for i := 0; i < 10000; i++ {
		rp.Applied = append(rp.Applied, int64(20200101000000+i))
	}
	var out bytes.Buffer
	Plan(&out, &regen.Plan{Repos: []regen.RepoPlan{rp}}, PlanOptions{ListApplied: true})
	text := out.String()
	if n := strings.Count(text, "\n"); n > 100 {
		t.Fatalf("%d lines:\n%s", n, text)
	}
	if got := strings.Count(text, "… and 9,980 more (use --verbose to list all)"); got != 4 {
		t.Fatalf("%d summary lines, want 4 (applied, remove, stray, ignored):\n%s", got, text)
	}
	out.Reset()
	Plan(&out, &regen.Plan{Repos: []regen.RepoPlan{rp}}, PlanOptions{ListApplied: true, Verbose: true})
	if n := strings.Count(out.String(), "\n"); n < 40000 {
		t.Fatalf("--verbose printed %d lines", n)
	}
}

func TestKeepLines(t *testing.T) {
	reps := []regen.KeepReport{{Repo: "repo",
		Kept:    []regen.KeptData{{Table: "posts", Column: "subtitle", Rows: 41}, {Table: "tags", Rows: 12}},
		NotKept: []regen.NotKeptData{{Table: "posts", Column: "rating", Reason: regen.KeepColumnGone, Count: 41}, {Table: "docs", Reason: regen.KeepVirtual, Count: -1}},
	}}
	got := strings.Join(KeepLines(reps), "\n")
	want := "kept: posts.subtitle (41 rows), tags (12 rows)\nnot kept: posts.rating (column gone, 41 values), docs (virtual table, count not known)"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// The step names come from the plan, in its order.
func TestStepsNamesThePlansSteps(t *testing.T) {
	p := &regen.Plan{Steps: []regen.StepName{"backup", "remove", "mixdo", "verify", "commit"}}
	if got, want := Steps(p), "backup → remove → mixdo → verify → commit"; got != want {
		t.Fatalf("Steps = %q, want %q", got, want)
	}
}
