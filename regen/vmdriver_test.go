package regen_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// mixStarts runs a regeneration with the stand-in logging each process it
// starts (one line per start) and returns the lines.
func mixStarts(t *testing.T, p *regentest.Project, name string, env ...string) ([]string, string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "mix.log")
	t.Setenv("MIXSIM_LOG", log)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
		p.Env = append(p.Env, kv)
	}
	start := time.Now()
	_, err, out := run(t, p, regen.RunOptions{Name: name, Migrate: true, Rollback: "down"})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	t.Logf("run took %s", time.Since(start))
	data, _ := os.ReadFile(log)
	var starts []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		// A -e script spans lines: a start's line names its task first.
		if l != "" && !strings.HasPrefix(l, " ") && (strings.HasPrefix(l, "run ") || strings.HasPrefix(l, "do ") || strings.HasPrefix(l, "ash") || strings.HasPrefix(l, "ecto")) {
			starts = append(starts, l)
		}
	}
	return starts, out
}

// One VM per run: on a cold cache (the first run: regen has never asked
// the project for its databases) the config query, rollback, codegen and
// migrate are one mix start, and so is the next (warm) run; the steps stay
// apart, each verified. Before issue 15 the cold run started two VMs.
func TestOneVMColdAndWarmRunsStartOneVM(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		p := featureOf(t, kind)
		cold, out := mixStarts(t, p, "add_subtitle_and_views")
		if len(cold) != 1 || !strings.Contains(cold[0], "run --no-start") {
			t.Fatalf("cold run: %d mix starts, want 1 (the driver):\n%s\n%s", len(cold), strings.Join(cold, "\n"), out)
		}
		for _, step := range []string{"✓ config", "✓ rollback", "✓ codegen", "✓ migrate", "✓ verify"} {
			if !strings.Contains(out, step) {
				t.Errorf("the run should report %q:\n%s", step, out)
			}
		}
		if !hasSuffix(p.Migrations(), "_add_subtitle_and_views.exs") || p.Count("posts") != 2 {
			t.Fatalf("after the run: migrations %v, %d posts", p.Migrations(), p.Count("posts"))
		}
		p.Write("lib/blog/post.ex", postFor(p, "attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true", "attribute :likes, :integer, public?: true"))
		warm, out := mixStarts(t, p, "add_subtitle_views_likes")
		if len(warm) != 1 {
			t.Fatalf("warm run: %d mix starts, want 1:\n%s\n%s", len(warm), strings.Join(warm, "\n"), out)
		}
		if strings.Contains(out, "✓ config") {
			t.Errorf("a warm run asked for the config again:\n%s", out)
		}
		if !hasSuffix(p.Migrations(), "_add_subtitle_views_likes.exs") || hasSuffix(p.Migrations(), "_add_subtitle_and_views.exs") || p.Count("posts") != 2 {
			t.Fatalf("after the warm run: migrations %v, %d posts", p.Migrations(), p.Count("posts"))
		}
	})
}

// The separate starts stay: with one_vm = false (REGEN_ONE_VM=0) each
// step and the query have a start of their own.
func TestOneVMOffStartsEachStepSeparately(t *testing.T) {
	p := feature(t)
	starts, out := mixStarts(t, p, "add_subtitle_and_views", "REGEN_ONE_VM=0")
	if len(starts) != 4 {
		t.Fatalf("one_vm = false: %d mix starts, want 4 (query, rollback, codegen, migrate):\n%s\n%s", len(starts), strings.Join(starts, "\n"), out)
	}
	if strings.Contains(strings.Join(starts, "\n"), "driver.exs") {
		t.Fatalf("one_vm = false started the one-VM driver:\n%s", strings.Join(starts, "\n"))
	}
}

// A driver that fails before any change (here: it cannot connect, as on an
// OTP without local sockets) is given up with a warning, and the run goes
// on with separate starts, the query included, to the same result.
func TestOneVMDriverFailingBeforeAnyChangeFallsBack(t *testing.T) {
	p := feature(t)
	starts, out := mixStarts(t, p, "add_subtitle_and_views", "MIXSIM_FAIL=driver")
	if !strings.Contains(out, "one-VM mix driver failed before any change") {
		t.Fatalf("no fallback warning:\n%s", out)
	}
	if len(starts) != 5 || !strings.Contains(starts[0], "driver.exs") {
		t.Fatalf("%d mix starts, want the failed driver and 4 separate ones:\n%s\n%s", len(starts), strings.Join(starts, "\n"), out)
	}
	if !hasSuffix(p.Migrations(), "_add_subtitle_and_views.exs") || p.Count("posts") != 2 {
		t.Fatalf("after the run: migrations %v, %d posts", p.Migrations(), p.Count("posts"))
	}
}
