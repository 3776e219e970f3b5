package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// These tests run the real regen binary as a separate process: signals,
// kill -9, the lock, exit codes.

var baseAttrs = []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true"}

func post(extra ...string) string {
	return regentest.Resource("Post", "posts", append(append([]string{}, baseAttrs...), extra...), nil)
}

func feature(t *testing.T) *regentest.Project { return featureOf(t, regentest.SQLite) }

func featureOf(t *testing.T, kind string) *regentest.Project {
	t.Helper()
	p := regentest.NewProjectOf(t, kind)
	postFor := func(extra ...string) string {
		return p.Resource("Post", "posts", append(append([]string{}, baseAttrs...), extra...), nil)
	}
	p.Write("lib/blog/post.ex", postFor("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	p.SQL(`INSERT INTO posts (id, title, body, subtitle) VALUES ('00000000-0000-0000-0000-000000000001', 'Hello', 'b', 's')`,
		`INSERT INTO comments (id, body, post_id) VALUES ('00000000-0000-0000-0000-000000000002', 'nice', '00000000-0000-0000-0000-000000000001')`)
	p.Write("lib/blog/post.ex", postFor("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	return p
}

func mustSame(t *testing.T, before, after regentest.State) {
	t.Helper()
	if d := before.Diff(after); d != "" {
		t.Fatalf("state changed:\n%s", d)
	}
	// Read by scripts/reltable for the results table.
	t.Logf("compared %d files, %d tables", len(after.Files), len(after.Tables))
}

// startSleeping starts `regen NAME -m` with codegen sleeping, and waits until
// the child is asleep. It returns the command and the child's pid.
func startSleeping(t *testing.T, p *regentest.Project, args ...string) (*exec.Cmd, *bytes.Buffer, int) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := p.RegenCmd(args...)
	cmd.Env = append(cmd.Env, "MIXSIM_SLEEP=ash.codegen:60", "MIXSIM_READY_FILE="+ready)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(ready); err == nil && len(strings.TrimSpace(string(data))) > 0 {
			var pid int
			fmt.Sscan(strings.TrimSpace(string(data)), &pid)
			return cmd, &out, pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("codegen never started:\n%s", out.String())
	return nil, nil, 0
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestSignalDuringCodegenRestoresEverything(t *testing.T) {
	for _, c := range []struct {
		kind string
		sig  syscall.Signal
	}{{regentest.SQLite, syscall.SIGINT}, {regentest.SQLite, syscall.SIGTERM}, {regentest.Postgres, syscall.SIGINT}, {regentest.Postgres, syscall.SIGTERM}} {
		kind, sig := c.kind, c.sig
		t.Run(kind+"/"+sig.String(), func(t *testing.T) {
			p := featureOf(t, kind)
			before := p.Capture()
			cmd, out, child := startSleeping(t, p, "add_subtitle_and_views", "-m")
			cmd.Process.Signal(sig)
			code := exitCode(cmd.Wait())
			want := 130
			if sig == syscall.SIGTERM {
				want = 143
			}
			if code != want {
				t.Fatalf("exit %d, want %d\n%s", code, want, out)
			}
			if syscall.Kill(child, 0) == nil {
				t.Fatalf("the child %d is still running", child)
			}
			if !strings.Contains(out.String(), "Everything was restored") {
				t.Fatalf("message:\n%s", out)
			}
			mustSame(t, before, p.Capture())
		})
	}
}

func TestKill9DuringCodegenThenRecover(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	cmd, out, child := startSleeping(t, p, "add_subtitle_and_views", "-m")
	// Power loss: regen and its child die at once.
	cmd.Process.Signal(syscall.SIGKILL)
	syscall.Kill(child, syscall.SIGKILL)
	cmd.Wait()
	_ = out

	for _, args := range [][]string{{"add_subtitle_and_views", "-m"}, {"undo"}} {
		got, code := p.Regen(args...)
		if code != 4 || !strings.Contains(got, "regen recover") {
			t.Fatalf("regen %v: exit %d, want 4 naming `regen recover`:\n%s", args, code, got)
		}
	}
	status, code := p.Regen("status")
	if code != 0 || !strings.Contains(status, "INTERRUPTED RUN") {
		t.Fatalf("status should show the open journal (exit %d):\n%s", code, status)
	}
	got, code := p.Regen("recover")
	if code != 0 || !strings.Contains(got, "reversed") {
		t.Fatalf("recover: exit %d\n%s", code, got)
	}
	mustSame(t, before, p.Capture())
	got, code = p.Regen("recover")
	if code != 0 || !strings.Contains(got, "nothing to recover") {
		t.Fatalf("second recover: exit %d\n%s", code, got)
	}
	mustSame(t, before, p.Capture())
	got, code = p.Regen("add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("the next run: exit %d\n%s", code, got)
	}
}

// The crash matrix of the core: the process kills itself (SIGKILL) right
// before and right after each step; recover then gives back the exact
// pre-run state, or finishes a run that had verified everything.
func TestCrashAtEveryStepIsRecoverable(t *testing.T) {
	for _, kind := range regentest.Kinds {
		for _, mode := range []string{"0", "1"} {
			steps := runSteps(t, kind, mode)
			for _, when := range []string{"before", "after"} {
				for _, step := range steps {
					if when == "after" && step == "commit" {
						continue // "after commit" is the normal exit
					}
					t.Run(kind+"/one_vm="+mode+"/"+when+"-"+step, func(t *testing.T) {
						p := featureOf(t, kind)
						p.Env = append(p.Env, "REGEN_ONE_VM="+mode)
						crashThenRecover(t, p, "kill:"+when+":"+step, step == "commit", []string{"add_subtitle_and_views", "-m"}, []string{"add_x", "-m"})
						if got, code := p.Regen("recover"); code != 0 || !strings.Contains(got, "nothing to recover") {
							t.Fatalf("second recover: %d\n%s", code, got)
						}
						if got, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
							t.Fatalf("next run: exit %d\n%s", code, got)
						}
					})
				}
			}
		}
	}
}

// runSteps are the steps a run of the feature takes, as its dry run names
// them from the engine's one step list: the crash matrix follows the list.
func runSteps(t *testing.T, kind, mode string) []string {
	t.Helper()
	p := featureOf(t, kind)
	p.Env = append(p.Env, "REGEN_ONE_VM="+mode)
	out, code := p.Regen("add_subtitle_and_views", "-m", "--dry-run")
	const lead = "A run takes the steps "
	i := strings.Index(out, lead)
	if code != 0 || i < 0 {
		t.Fatalf("dry run: exit %d, no step list\n%s", code, out)
	}
	line, _, _ := strings.Cut(out[i+len(lead):], "\n")
	steps := strings.Split(strings.TrimSuffix(line, "."), " → ")
	if len(steps) < 5 || steps[0] != "backup" || steps[len(steps)-1] != "commit" {
		t.Fatalf("step list %q", line)
	}
	return steps
}

func TestSecondRunRefusesWhileTheFirstHoldsTheLock(t *testing.T) {
	p := feature(t)
	cmd, _, _ := startSleeping(t, p, "add_subtitle_and_views", "-m")
	got, code := p.Regen("another_name", "-m")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, got)
	}
	if !strings.Contains(got, fmt.Sprintf("pid %d", cmd.Process.Pid)) {
		t.Fatalf("the message should name the holder's pid %d:\n%s", cmd.Process.Pid, got)
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
}

func TestExitCodesAndMessages(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{}, 2, "missing NAME"},
		{[]string{"add-materials", "-m"}, 2, "add_materials"},
		{[]string{"AddTags"}, 2, "add_tags"},
		{[]string{"a", "b"}, 2, "one NAME"},
		{[]string{"stauts"}, 2, "regen status"},
		{[]string{"x", "--no-such-flag"}, 2, "unknown flag"},
		{[]string{"undo"}, 2, "no regen run to undo"},
	}
	for _, c := range cases {
		got, code := p.Regen(c.args...)
		if code != c.code || !strings.Contains(got, c.says) {
			t.Errorf("regen %v: exit %d (want %d), output should say %q:\n%s", c.args, code, c.code, c.says, got)
		}
	}
	mustSame(t, before, p.Capture())

	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if exitCode(err) != 2 || !strings.Contains(string(out), "not inside a git repository") {
		t.Fatalf("outside a repository: %v\n%s", err, out)
	}
}

func TestStatusJSONWithTwoThousandTrackedMigrations(t *testing.T) {
	p := regentest.NewProject(t)
	var values []string
	for i := 0; i < 2000; i++ {
		v := fmt.Sprintf("2025%010d", i)
		p.Write("priv/repo/migrations/"+v+fmt.Sprintf("_step_%d.exs", i), fmt.Sprintf("defmodule Blog.Repo.Migrations.Step%d do\n  use Ecto.Migration\n\n  def up do\n  end\n\n  def down do\n  end\nend\n", i))
		values = append(values, "("+v+", '2025-01-01T00:00:00')")
	}
	p.SQL("INSERT INTO schema_migrations (version, inserted_at) VALUES " + strings.Join(values, ","))
	p.Git("add", "-A")
	p.Git("commit", "-qm", "2000 migrations")
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	p.Mix("ash.codegen", "add_views") // untracked, not applied

	p.Regen("status") // fills the repo-config cache, as any first run would
	cmd := p.RegenCmd("status", "--json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	t.Logf("regen status --json with 2,002 tracked migrations: %v (whole process)", time.Since(start))
	var st struct {
		Plan struct {
			Repos []struct {
				Applied   []int64 `json:"applied"`
				Untracked []struct {
					Path    string `json:"path"`
					Applied bool   `json:"applied"`
				} `json:"untracked"`
				Rollback []struct {
					Path string `json:"path"`
				} `json:"rollback"`
				Remove []string `json:"remove"`
			} `json:"repos"`
		} `json:"plan"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	r := st.Plan.Repos[0]
	if len(r.Applied) != 2002 {
		t.Fatalf("applied: %d", len(r.Applied))
	}
	if len(r.Untracked) != 2 || !r.Untracked[0].Applied || r.Untracked[1].Applied {
		t.Fatalf("untracked: %+v", r.Untracked)
	}
	if len(r.Rollback) != 1 || !strings.HasSuffix(r.Rollback[0].Path, "_add_subtitle.exs") {
		t.Fatalf("rollback: %+v", r.Rollback)
	}
	if len(r.Remove) != 4 {
		t.Fatalf("remove: %v", r.Remove)
	}
}

func TestTimingsSplitRegensOwnShare(t *testing.T) {
	p := feature(t)
	got, code := p.Regen("add_subtitle_and_views", "-m", "--timings")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, got)
	}
	for _, want := range []string{"timings", "backup", "rollback", "codegen", "migrate", "verify", "total", "mix ", "db backup", "regen own"} {
		if !strings.Contains(got, want) {
			t.Fatalf("--timings output lacks %q:\n%s", want, got)
		}
	}
}

// The driver VM's boot is mix's time, as a separate start's is: a run that
// waits for a slow boot does not report the wait as regen's own share.
func TestTimingsCountTheDriverBootAsMix(t *testing.T) {
	const boot = 700 * time.Millisecond
	for _, oneVM := range []string{"1", "0"} {
		t.Run("REGEN_ONE_VM="+oneVM, func(t *testing.T) {
			p := feature(t)
			if out, code := p.Regen("status"); code != 0 { // the repo config is cached: the run waits for the boot
				t.Fatalf("status: exit %d\n%s", code, out)
			}
			p.Env = append(p.Env, fmt.Sprintf("MIXSIM_BOOT_DELAY_MS=%d", boot.Milliseconds()), "REGEN_ONE_VM="+oneVM)
			got, code := p.Regen("add_subtitle_and_views", "-m", "--timings")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, got)
			}
			// The driver boots while regen plans and backs up, so the wait
			// is the boot less that: half of it is a margin no plan needs.
			mix, own := timingLine(t, got, "mix"), timingLine(t, got, "regen own")
			if mix < boot/2 {
				t.Errorf("mix %v, want most of the boot %v\n%s", mix, boot, got)
			}
			if own >= boot/2 {
				t.Errorf("regen own %v holds the VM's boot (%v)\n%s", own, boot, got)
			}
		})
	}
}

// timingLine reads one `--timings` line ("  mix   412.5 ms").
func timingLine(t *testing.T, out, label string) time.Duration {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), label+" ")
		if !ok {
			continue
		}
		d, err := time.ParseDuration(strings.ReplaceAll(strings.TrimSpace(rest), " ", ""))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		return d
	}
	t.Fatalf("no %q line in:\n%s", label, out)
	return 0
}

// crashThenRecover kills the command run at fault, then proves what every
// crash must leave: the next changing command (next) refuses with exit 4,
// `regen recover` succeeds (a crash in the commit finishes the verified
// run, which undo then reverses), and the project is byte for byte what it
// was before.
func crashThenRecover(t *testing.T, p *regentest.Project, fault string, inCommit bool, run, next []string) {
	t.Helper()
	before := p.Capture()
	cmd := p.RegenCmd(run...)
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT="+fault)
	out, err := cmd.CombinedOutput()
	if code := exitCode(err); code != 128+9 {
		t.Fatalf("want SIGKILL, got exit %d\n%s", code, out)
	}
	if got, code := p.Regen(next...); code != 4 {
		t.Fatalf("after the crash: exit %d, want 4\n%s", code, got)
	}
	got, code := p.Regen("recover")
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, got)
	}
	if inCommit {
		if !strings.Contains(got, "finished") {
			t.Fatalf("a verified run should be finished:\n%s", got)
		}
		if got, code := p.Regen("undo"); code != 0 {
			t.Fatalf("undo after a finished recover: exit %d\n%s", code, got)
		}
	}
	mustSame(t, before, p.Capture())
}
