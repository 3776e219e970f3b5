package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDoChaining(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex")
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "init"))
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	post := filepath.Join(dir, "lib/app_sqlite/blog/post.ex")
	write(t, dir, "lib/app_sqlite/blog/post.ex", strings.Replace(readFile(t, post), "    create_timestamp", "    attribute :summary, :string, public?: true\n    create_timestamp", 1))
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "feature_v1"))
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	var v1 string
	for _, f := range listRel(t, dir, "priv") {
		if strings.Contains(f, "feature_v1") {
			v1 = f
		}
	}
	// The regen flow in one VM: roll back the feature from a temp dir,
	// (the files are gone), regenerate, migrate.
	tmp := t.TempDir()
	os.Rename(filepath.Join(dir, v1), filepath.Join(tmp, filepath.Base(v1)))
	snaps := listRel(t, dir, "priv/resource_snapshots/repo/posts")
	os.Remove(filepath.Join(dir, snaps[len(snaps)-1]))
	r := mustOK(t, mixsim(t, dir, nil, "do", "ash_sqlite.rollback", "--migrations-path", tmp, "--all", "+", "ash.codegen", "feature", "+", "ash.migrate"))
	if strings.Count(r.stdout, "==> exqlite") != 1 || strings.Count(r.stdout, "==> app_sqlite") != 1 {
		t.Errorf("banners:\n%s", r.stdout)
	}
	if !(strings.Index(r.stdout, "FeatureV1.down/0") < strings.Index(r.stdout, "* creating") && strings.Index(r.stdout, "* creating") < strings.Index(r.stdout, "Feature.up/0")) {
		t.Errorf("order:\n%s", r.stdout)
	}
	if v := versions(t, dir); len(v) != 2 || !contains(columns(t, dir, "posts"), "summary") {
		t.Errorf("versions %v", v)
	}
	// Stops at the first failure with its exit code; old comma form works.
	r = mixsim(t, dir, nil, "do", "ecto.rollback,", "nosuch.task,", "ecto.rollback")
	if r.code != 1 || !strings.Contains(r.stderr, `** (Mix) The task "nosuch.task" could not be found`) {
		t.Errorf("%d %q", r.code, r.stderr)
	}
	if v := versions(t, dir); len(v) != 1 {
		t.Errorf("first step should have run, third not: %v", v)
	}
	if got := splitDo([]string{"a", "x,", "b", "+"}); !reflect.DeepEqual(got, [][]string{{"a", "x,", "b"}, nil}) {
		t.Errorf("splitDo %q", got)
	}
}

func TestFaultFailBeforeAndAfter(t *testing.T) {
	dir := fixtureProject(t, "post.ex") // no FK: its down can run
	r := mixsim(t, dir, map[string]string{"MIXSIM_FAIL": "ecto.migrate,ash.codegen"}, "ash.codegen", "init")
	if r.code != 1 || !strings.Contains(r.stderr, "** (CompileError)") || !strings.Contains(r.stderr, "== Compilation error in file") {
		t.Errorf("%d %q", r.code, r.stderr)
	}
	if f := listRel(t, dir, "priv"); len(f) != 0 {
		t.Errorf("wrote %v", f)
	}
	// Other task names are not affected.
	mustOK(t, mixsim(t, dir, map[string]string{"MIXSIM_FAIL": "ecto.migrate"}, "ash.codegen", "init"))
	r = mixsim(t, dir, map[string]string{"MIXSIM_FAIL": "ash.migrate:after"}, "ash.migrate")
	if r.code != 1 || !strings.Contains(r.stderr, "injected failure after task ash.migrate") {
		t.Errorf("%d %q", r.code, r.stderr)
	}
	if len(versions(t, dir)) != 1 {
		t.Errorf(":after must do the work")
	}
	// Inside do, the failing step stops the chain.
	r = mixsim(t, dir, map[string]string{"MIXSIM_FAIL": "ecto.migrate"}, "do", "ecto.rollback", "+", "ecto.migrate")
	if r.code != 1 || len(versions(t, dir)) != 0 || !strings.Contains(r.stdout, ".down/0") || strings.Contains(r.stdout, ".up/0") {
		t.Errorf("do + fail: %d %v\n%s%s", r.code, versions(t, dir), r.stdout, r.stderr)
	}
}

func TestFaultLie(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex")
	lie := map[string]string{"MIXSIM_LIE": "ash.codegen,ash.migrate,ash_sqlite.rollback"}
	r := mustOK(t, mixsim(t, dir, lie, "ash.codegen", "init"))
	if !strings.Contains(r.stdout, "* creating _build/dev/lib/app_sqlite/priv/repo/migrations/") || len(listRel(t, dir, "priv")) != 0 {
		t.Errorf("codegen lie: %s %v", r.stdout, listRel(t, dir, "priv"))
	}
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "init"))
	r = mustOK(t, mixsim(t, dir, lie, "ash.migrate"))
	if !strings.Contains(r.stdout, "== Migrated") {
		t.Errorf("migrate lie output: %s", r.stdout)
	}
	if tableSQL(t, dir, "posts") != "" {
		t.Errorf("migrate lie changed the database")
	}
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	before := versions(t, dir)
	r = mustOK(t, mixsim(t, dir, lie, "ash_sqlite.rollback")) // its down raises: still exit 0
	if !strings.Contains(r.stdout, ".down/0") || !reflect.DeepEqual(versions(t, dir), before) {
		t.Errorf("rollback lie: %s", r.stdout)
	}
}

func TestFaultSleepReadyBootLog(t *testing.T) {
	dir := newProject(t, nil)
	migrationFile(t, dir, "20260101000000", "posts", "Posts", postsTable)
	ready := filepath.Join(t.TempDir(), "ready")
	logf := filepath.Join(t.TempDir(), "log")
	env := map[string]string{
		"MIXSIM_SLEEP": "ecto.migrate:0.3", "MIXSIM_READY_FILE": ready,
		"MIXSIM_BOOT_DELAY_MS": "200", "MIXSIM_LOG": logf,
	}
	start := time.Now()
	mustOK(t, mixsim(t, dir, env, "do", "ecto.rollback", "+", "ecto.migrate"))
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("slept only %v", d)
	}
	if _, err := os.Stat(ready); err != nil {
		t.Errorf("ready file: %v", err)
	}
	mustOK(t, mixsim(t, dir, map[string]string{"MIXSIM_LOG": logf}, "ecto.migrations"))
	if got := readFile(t, logf); got != "do ecto.rollback + ecto.migrate\necto.migrations\n" {
		t.Errorf("log %q", got)
	}
	if r := mixsim(t, dir, map[string]string{"MIXSIM_SLEEP": "bad"}, "compile"); r.code != 1 {
		t.Errorf("bad MIXSIM_SLEEP accepted")
	}
}

// TestBinaryKilledMidMigration builds the real binary, kills it while a
// migration's transaction is open and checks nothing was committed.
func TestBinaryKilledMidMigration(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mixsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := newProject(t, nil)
	migrationFile(t, dir, "20260101000000", "posts", "Posts", postsTable)
	migrationFile(t, dir, "20260101000001", "add_a", "AddA", addColumn("a"))

	// Normal run through the binary: exit code and streams.
	cmd := exec.Command(bin, "ecto.migrate", "-n", "1")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "== Migrated 20260101000000") {
		t.Fatalf("%v %s", err, out)
	}
	cmd = exec.Command(bin, "nosuch")
	cmd.Dir = dir
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("unknown task exit: %v", err)
	}

	ready := filepath.Join(t.TempDir(), "ready")
	cmd = exec.Command(bin, "ecto.migrate")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MIXSIM_SLEEP=ecto.migrate:30:mid", "MIXSIM_READY_FILE="+ready)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("never ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if v := versions(t, dir); !reflect.DeepEqual(v, []int64{20260101000000}) {
		t.Errorf("versions after kill: %v", v)
	}
	if contains(columns(t, dir, "posts"), "a") {
		t.Errorf("uncommitted ALTER survived the kill")
	}
	// And the next run completes it.
	cmd = exec.Command(bin, "ecto.migrate")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if !contains(columns(t, dir, "posts"), "a") {
		t.Errorf("re-run did not migrate")
	}
}
