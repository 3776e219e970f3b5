package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// The last-run marker across a crash of the run that replaces it: whatever
// recover does with the second run (finish it, or reverse it from its
// journal or, when that is damaged, from its manifest), `regen undo`
// afterwards undoes exactly the run the marker should name.

// twoRuns commits a first run, then prepares a second change. It returns
// the states before and after the first run, and restores the resource of
// the first run (undo gives back migrations, not lib/).
func twoRuns(t *testing.T, kind string) (p *regentest.Project, beforeA, afterA regentest.State, resourceA func()) {
	t.Helper()
	p = featureOf(t, kind)
	postA, err := os.ReadFile(filepath.Join(p.Root, "lib/blog/post.ex"))
	if err != nil {
		t.Fatal(err)
	}
	beforeA = p.Capture()
	mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", append(append([]string{}, baseAttrs...),
		"attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true", "attribute :likes, :integer, public?: true"), nil))
	afterA = p.Capture()
	return p, beforeA, afterA, func() { p.Write("lib/blog/post.ex", string(postA)) }
}

func lastMarker(t *testing.T, p *regentest.Project) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(stateDir(p), "last"))
	if err != nil {
		t.Fatalf("the last-run marker: %v", err)
	}
	return strings.TrimSpace(string(data))
}

func TestReliabilityLastMarkerAcrossCrash(t *testing.T) {
	points := []struct {
		fault    string
		damaged  bool // the journal is truncated after the kill
		finished bool // recover finishes the second run
	}{
		{"kill:before:commit", false, true},
		{"kill:after:mark", false, true}, // the marker names the second run, the journal is open
		{"kill:before:commit", true, false},
		{"kill:after:mark", true, false},
		{"kill:before:codegen", true, false},
	}
	for _, kind := range regentest.Kinds {
		for _, pt := range points {
			name := strings.ReplaceAll(pt.fault, ":", "-")
			if pt.damaged {
				name += "-damaged"
			}
			t.Run(kind+"/"+name, func(t *testing.T) {
				p, beforeA, afterA, resourceA := twoRuns(t, kind)
				first := lastMarker(t, p)
				killed(t, p, pt.fault, "add_likes", "-m")
				if pt.fault == "kill:after:mark" && lastMarker(t, p) == first {
					t.Fatalf("the kill came before the marker was written (%s)", first)
				}
				if pt.damaged {
					j, err := os.ReadFile(journalFile(p))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(journalFile(p), j[:len(j)/2], 0o600); err != nil {
						t.Fatal(err)
					}
				}
				got := mustRegen(t, p, 0, "recover")
				if pt.finished {
					if !strings.Contains(got, "finished") {
						t.Fatalf("recover should finish the run:\n%s", got)
					}
					if lastMarker(t, p) == first {
						t.Fatalf("the finished run is not the last run:\n%s", got)
					}
					mustRegen(t, p, 0, "undo")
					mustSame(t, afterA, p.Capture())
					return
				}
				mustSame(t, afterA, p.Capture())
				if m := lastMarker(t, p); m != first {
					t.Fatalf("after reversing the second run the marker names %s, want the first run %s", m, first)
				}
				mustRegen(t, p, 0, "undo")
				resourceA()
				mustSame(t, beforeA, p.Capture())
			})
		}
	}
}

// The first run ever, reversed after its commit had written the marker:
// the marker goes (there was none), so undo says there is nothing to undo
// instead of refusing a reversed run.
func TestReliabilityLastMarkerOfFirstRunReversed(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	killed(t, p, "kill:after:mark", "add_subtitle_and_views", "-m")
	j, err := os.ReadFile(journalFile(p))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(journalFile(p), j[:len(j)/2], 0o600)
	mustRegen(t, p, 0, "recover")
	mustSame(t, before, p.Capture())
	if _, err := os.Stat(filepath.Join(stateDir(p), "last")); !os.IsNotExist(err) {
		t.Fatalf("the marker should be gone (no run before): %v", err)
	}
	got, code := p.Regen("undo")
	if !strings.Contains(got, "no regen run to undo") {
		t.Fatalf("undo: exit %d\n%s", code, got)
	}
}
