package check_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/check"
	"github.com/regen-tool/regen/regen/regentest"
)

// mixStarts counts the stand-in's processes (MIXSIM_LOG: one line each)
// and returns the lines.
func mixStarts(t *testing.T, log string) []string {
	t.Helper()
	data, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
}

// countingProject is the baseline project with the stand-in logging its
// starts (the in-process check's children inherit the process's
// environment).
func countingProject(t *testing.T) (*regentest.Project, func() int) {
	p := regentest.NewProject(t)
	log := filepath.Join(t.TempDir(), "mix.log")
	t.Setenv("MIXSIM_LOG", log)
	seen := 0
	return p, func() int {
		n := len(mixStarts(t, log))
		d := n - seen
		seen = n
		return d
	}
}

func skipped(rep *check.Report) bool {
	for _, n := range rep.Notes {
		if strings.HasPrefix(n, "codegen check skipped: its inputs are those of the clean check") {
			return true
		}
	}
	return false
}

// codegenFound: a finding of the compile or codegen check.
func codegenFound(rep *check.Report) bool {
	for _, f := range rep.Findings {
		switch f.Rule {
		case check.RuleCompile, check.RuleCodegenDrift, check.RuleCodegenFailed:
			return true
		}
	}
	return false
}

// A clean codegen check is recorded; the same inputs skip the mix start
// (saying so), and each kind of input, changed, runs it again.
func TestCheckRecordSkipsUnchangedInputs(t *testing.T) {
	p, starts := countingProject(t)
	rep := runCheck(t, p, check.Options{})
	if len(rep.Findings) != 0 || skipped(rep) {
		t.Fatalf("first check: %s notes %q", dump(rep), rep.Notes)
	}
	if n := starts(); n != 1 {
		t.Fatalf("the check started mix %d times, want 1", n)
	}
	rep = runCheck(t, p, check.Options{})
	if !skipped(rep) || len(rep.Findings) != 0 {
		t.Fatalf("same inputs: not skipped: notes %q\n%s", rep.Notes, dump(rep))
	}
	if n := starts(); n != 0 {
		t.Fatalf("a skipped check started mix %d times", n)
	}
	if rep := runCheck(t, p, check.Options{Fresh: true}); skipped(rep) || starts() != 1 {
		t.Fatalf("--fresh must run it: notes %q", rep.Notes)
	}

	// Each change runs the check once; then the same inputs skip again.
	changes := []struct {
		name   string
		change func()
	}{
		{"a resource comment", func() { p.Write("lib/blog/post.ex", readProject(t, p, "lib/blog/post.ex")+"# note\n") }},
		{"a new file under lib", func() { p.Write("lib/blog/helper.ex", "defmodule Blog.Helper do\nend\n") }},
		{"config", func() { p.Write("config/config.exs", readProject(t, p, "config/config.exs")+"# dev\n") }},
		{"mix.exs", func() { p.Write("mix.exs", readProject(t, p, "mix.exs")+"\n") }},
		{"mix.lock appears", func() { p.Write("mix.lock", "%{}\n") }},
		{"a snapshot", func() {
			snap := p.FirstSnapshot("posts")
			p.Write(snap, readProject(t, p, snap)+"\n")
		}},
		{"a migration", func() { p.Write("priv/repo/migrations/.formatter.exs", "[]\n") }},
		{"a dependency", func() { p.Write("deps/spark/mix.exs", "# 2.2.3\n") }},
		{"a dependency's source", func() { p.Write("deps/spark/lib/spark.ex", "defmodule Spark do\nend\n") }},
		{"the Elixir version in _build", func() { p.Write("_build/dev/lib/blog/.mix/compile.elixir_scm", "1.18.4 27\n") }},
		{"MIX_ENV", func() { t.Setenv("MIX_ENV", "dev") }},
		{"a tool-versions file", func() { p.Write(".tool-versions", "elixir 1.18.4\n") }},
		{".regen.toml", func() { p.Write(".regen.toml", "# nothing\n") }},
		// What picks the Elixir behind a version manager's shim.
		{"a .tool-versions above the project", func() {
			if err := os.WriteFile(filepath.Join(filepath.Dir(p.Root), ".tool-versions"), []byte("elixir 1.17.3\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"HOME's .tool-versions", func() {
			home := t.TempDir()
			t.Setenv("HOME", home)
			if err := os.WriteFile(filepath.Join(home, ".tool-versions"), []byte("elixir 1.16.0\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"ASDF_ELIXIR_VERSION", func() { t.Setenv("ASDF_ELIXIR_VERSION", "1.18.1") }},
		{"MISE_ENV", func() { t.Setenv("MISE_ENV", "ci") }},
	}
	for _, c := range changes {
		c.change()
		rep := runCheck(t, p, check.Options{})
		if skipped(rep) || codegenFound(rep) {
			t.Fatalf("%s changed: skipped %v\n%s", c.name, skipped(rep), dump(rep))
		}
		if n := starts(); n != 1 {
			t.Fatalf("%s changed: %d mix starts, want 1", c.name, n)
		}
		if rep := runCheck(t, p, check.Options{}); !skipped(rep) || starts() != 0 {
			t.Fatalf("%s: the repeated check was not skipped: notes %q", c.name, rep.Notes)
		}
	}

	// A command or mode the record was not made for runs.
	if rep := runCheck(t, p, check.Options{CodegenCommand: []string{"{mix}", "do", "ash.codegen", "--check"}}); skipped(rep) || starts() != 1 {
		t.Fatalf("another command: notes %q", rep.Notes)
	}
	if rep := runCheck(t, p, check.Options{Staged: true}); skipped(rep) || starts() != 1 {
		t.Fatalf("another mode: notes %q", rep.Notes)
	}
}

// What the record cannot vouch for runs the check: an input that is not a
// readable file, a missing or damaged record; a drift is never recorded.
func TestCheckRecordRunsWhenItCannotVouch(t *testing.T) {
	p, starts := countingProject(t)
	runCheck(t, p, check.Options{})
	starts()
	record := filepath.Join(p.Root, ".git", "regen", "check-clean")
	if _, err := os.Stat(record); err != nil {
		t.Fatalf("no record after a clean check: %v", err)
	}
	for _, damage := range []string{"", "regen check-clean v0\nkey x\nat 2026-01-01T00:00:00Z\n", "garbage"} {
		if err := os.WriteFile(record, []byte(damage), 0o600); err != nil {
			t.Fatal(err)
		}
		if rep := runCheck(t, p, check.Options{}); skipped(rep) || starts() != 1 {
			t.Fatalf("record %q: notes %q", damage, rep.Notes)
		}
	}
	if err := os.Remove(record); err != nil {
		t.Fatal(err)
	}
	// mix.lock that is no readable file: no record, and every check runs.
	if err := os.Mkdir(filepath.Join(p.Root, "mix.lock"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if rep := runCheck(t, p, check.Options{}); skipped(rep) || starts() != 1 || len(rep.Findings) != 0 {
			t.Fatalf("unreadable input, run %d: notes %q\n%s", i, rep.Notes, dump(rep))
		}
	}
	if _, err := os.Stat(record); !os.IsNotExist(err) {
		t.Fatalf("a record was written for inputs it cannot vouch for: %v", err)
	}
	os.Remove(filepath.Join(p.Root, "mix.lock"))
	// A linked folder in lib/, a folder linked into deps/, a dependency
	// built from outside deps/ (path:): their files are not hashed.
	shared := t.TempDir()
	for _, c := range []struct{ name, link, build string }{
		{"a linked lib folder", "lib/shared", ""},
		{"a linked dependency", "deps/shared", ""},
		{"a path dependency", "", "_build/dev/lib/shared/ebin"},
	} {
		if c.link != "" {
			os.MkdirAll(filepath.Dir(filepath.Join(p.Root, c.link)), 0o755)
			if err := os.Symlink(shared, filepath.Join(p.Root, c.link)); err != nil {
				t.Fatal(err)
			}
		} else {
			os.MkdirAll(filepath.Join(p.Root, c.build), 0o755)
		}
		for i := 0; i < 2; i++ {
			if rep := runCheck(t, p, check.Options{}); skipped(rep) || starts() != 1 {
				t.Fatalf("%s, run %d: notes %q", c.name, i, rep.Notes)
			}
		}
		os.Remove(filepath.Join(p.Root, c.link))
		os.RemoveAll(filepath.Join(p.Root, "_build/dev/lib/shared"))
	}
	// The project's own app and what deps/ holds are vouched for.
	p.Write("deps/jason/mix.exs", "# jason\n")
	os.MkdirAll(filepath.Join(p.Root, "_build/dev/lib/jason/ebin"), 0o755)
	os.MkdirAll(filepath.Join(p.Root, "_build/dev/lib/blog/ebin"), 0o755)
	runCheck(t, p, check.Options{})
	starts()
	if rep := runCheck(t, p, check.Options{}); !skipped(rep) || starts() != 0 {
		t.Fatalf("deps/ and the app itself: notes %q", rep.Notes)
	}
	// A linked file counts by its content.
	p.Write("shared.ex", "defmodule Shared do\nend\n")
	if err := os.Symlink(filepath.Join(p.Root, "shared.ex"), filepath.Join(p.Root, "lib/shared.ex")); err != nil {
		t.Fatal(err)
	}
	runCheck(t, p, check.Options{})
	starts()
	p.Write("shared.ex", "defmodule Shared do\n  def x, do: 1\nend\n")
	if rep := runCheck(t, p, check.Options{}); skipped(rep) || starts() != 1 {
		t.Fatalf("the linked file's content changed: notes %q", rep.Notes)
	}
	os.Remove(filepath.Join(p.Root, "lib/shared.ex"))

	// Drift is found each time (never recorded, never skipped).
	changePosts(p)
	for i := 0; i < 2; i++ {
		rep := runCheck(t, p, check.Options{})
		if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCodegenDrift}) || skipped(rep) {
			t.Fatalf("drift, run %d: %v notes %q", i, got, rep.Notes)
		}
		if n := starts(); n != 1 {
			t.Fatalf("drift, run %d: %d mix starts", i, n)
		}
	}
}

// The hook's mode: a staged change touching no resource skips as before; a
// staged resource change without codegen is refused every time; with its
// migration staged the check runs once in one mix start, then identical
// staged content skips it.
func TestCheckRecordStaged(t *testing.T) {
	p, starts := countingProject(t)
	staged := check.Options{Staged: true, Codegen: check.CodegenAuto}
	p.Write("README.md", "docs\n")
	p.Git("add", "README.md")
	if rep := runCheck(t, p, staged); len(rep.Findings) != 0 || starts() != 0 || len(rep.Notes) == 0 {
		t.Fatalf("README only: notes %q\n%s", rep.Notes, dump(rep))
	}
	changePosts(p)
	p.Git("add", "lib")
	for i := 0; i < 2; i++ {
		rep := runCheck(t, p, staged)
		if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCodegenDrift}) {
			t.Fatalf("resource without codegen, run %d: %v\n%s", i, got, dump(rep))
		}
		if n := starts(); n != 1 {
			t.Fatalf("resource without codegen, run %d: %d mix starts", i, n)
		}
	}
	p.Mix("ash.codegen", "add_fields")
	starts()
	p.Git("add", "-A")
	if rep := runCheck(t, p, staged); len(rep.Findings) != 0 || skipped(rep) || starts() != 1 {
		t.Fatalf("with its migration: notes %q\n%s", rep.Notes, dump(rep))
	}
	if rep := runCheck(t, p, staged); len(rep.Findings) != 0 || !skipped(rep) || starts() != 0 {
		t.Fatalf("identical staged content: notes %q\n%s", rep.Notes, dump(rep))
	}
	// The static checks still run on a skipped check: an unstaged
	// generated file is reported.
	snap := p.FirstSnapshot("comments")
	p.Write(snap, readProject(t, p, snap)+" ")
	rep := runCheck(t, p, staged)
	if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleNotStaged}) {
		t.Fatalf("unstaged snapshot edit: %v\n%s", got, dump(rep))
	}
}

// One mix start keeps the build failure apart from drift.
func TestCheckOneStartCompileError(t *testing.T) {
	p, starts := countingProject(t)
	changePosts(p)
	p.Write("lib/blog/broken.ex", "defmodule Blog.Broken do\n  # mixsim: compile_error\nend\n")
	rep := runCheck(t, p, check.Options{})
	if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCompile}) {
		t.Fatalf("a compile error is reported as such: %v\n%s", got, dump(rep))
	}
	if f := rep.Findings[0]; f.File != "lib/blog/broken.ex" || f.Line != 2 {
		t.Errorf("compile finding: %+v", f)
	}
	if n := starts(); n != 1 {
		t.Fatalf("%d mix starts, want 1", n)
	}
	// A configured command that is no plain mix task runs as two starts.
	rep = runCheck(t, p, check.Options{CodegenCommand: []string{"sh", "-c", "exit 0"}})
	if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCompile}) || starts() != 1 {
		t.Fatalf("script command, compile error: %v", got)
	}
	os.Remove(filepath.Join(p.Root, "lib/blog/broken.ex"))
	rep = runCheck(t, p, check.Options{CodegenCommand: []string{regentest.Mixsim(t), "ash.codegen", "--check"}})
	if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCodegenDrift}) || starts() != 1 {
		t.Fatalf("the configured mix spelt out: %v", got)
	}
}

// Resources outside lib/ (elixirc_paths: ["lib", "src"]): the hook's
// staged change under src/ runs the codegen check and refuses a resource
// change without its migration; a change there also invalidates the
// record. With a fixed lib/**/*.ex, both were skipped.
func TestCheckSourcesOutsideLib(t *testing.T) {
	p, starts := countingProject(t)
	p.Write("mix.exs", strings.Replace(regentest.MixExs, `[app: :blog,`, `[app: :blog, elixirc_paths: ["lib", "src"],`, 1))
	p.Write("src/blog/post.ex", readProject(t, p, "lib/blog/post.ex"))
	if err := os.Remove(filepath.Join(p.Root, "lib/blog/post.ex")); err != nil {
		t.Fatal(err)
	}
	p.Git("add", "-A")
	p.Git("commit", "-qm", "resources under src")
	if rep := runCheck(t, p, check.Options{}); len(rep.Findings) != 0 || starts() != 1 {
		t.Fatalf("the moved project is clean: notes %q\n%s", rep.Notes, dump(rep))
	}
	if rep := runCheck(t, p, check.Options{}); !skipped(rep) || starts() != 0 {
		t.Fatalf("same inputs: notes %q", rep.Notes)
	}

	p.Write("src/blog/post.ex", postWith("attribute :subtitle, :string, public?: true"))
	if rep := runCheck(t, p, check.Options{}); skipped(rep) || !reflect.DeepEqual(rulesOf(rep), []string{check.RuleCodegenDrift}) || starts() != 1 {
		t.Fatalf("a resource changed under src/: the record vouched for it: notes %q\n%s", rep.Notes, dump(rep))
	}
	p.Git("add", "src")
	staged := check.Options{Staged: true, Codegen: check.CodegenAuto}
	for i := 0; i < 2; i++ {
		rep := runCheck(t, p, staged)
		if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCodegenDrift}) || starts() != 1 {
			t.Fatalf("hook, staged resource change under src/, run %d: %v notes %q\n%s", i, got, rep.Notes, dump(rep))
		}
	}

	// elixirc_paths regen cannot read: no record, and the hook takes any
	// staged .ex file as a possible resource.
	p.Git("checkout", "-q", "--", ".")
	p.Git("reset", "-q")
	p.Write("src/blog/post.ex", readProject(t, p, "src/blog/post.ex")) // as committed
	p.Write("mix.exs", strings.Replace(regentest.MixExs, `[app: :blog,`, `[app: :blog, elixirc_paths: paths(),`, 1)+"\n")
	for i := 0; i < 2; i++ {
		if rep := runCheck(t, p, check.Options{}); skipped(rep) || starts() != 1 {
			t.Fatalf("unreadable elixirc_paths, run %d: notes %q", i, rep.Notes)
		}
	}
	p.Write("other/thing.ex", "defmodule Thing do\nend\n")
	p.Git("add", "other/thing.ex")
	if rep := runCheck(t, p, staged); starts() != 1 {
		t.Fatalf("unreadable elixirc_paths: a staged .ex outside lib/ did not run the codegen check: notes %q", rep.Notes)
	}
}

// What config or a source reads from the environment is an input: a
// variable read by name (System.get_env, System.fetch_env!, :os.getenv),
// set, changed or unset, runs the check again; a read by a computed name
// is never vouched for; a root .env file counts by its content.
func TestCheckRecordEnvironmentTheProjectReads(t *testing.T) {
	p, starts := countingProject(t)
	p.Write("config/config.exs", readProject(t, p, "config/config.exs")+
		"\nconfig :blog, flag: System.get_env(\"BLOG_FLAG\")\n# System.get_env(\"IN_A_COMMENT\")\n")
	p.Write("lib/blog/flags.ex", "defmodule Blog.Flags do\n  @x System.fetch_env!(\"BLOG_COMPILE\")\n  @y :os.getenv('BLOG_ERL')\nend\n")
	t.Setenv("BLOG_COMPILE", "1")
	for _, k := range []string{"BLOG_FLAG", "BLOG_ERL", "IN_A_COMMENT"} {
		os.Unsetenv(k)
	}
	runCheck(t, p, check.Options{})
	starts()
	if rep := runCheck(t, p, check.Options{}); !skipped(rep) || starts() != 0 {
		t.Fatalf("same environment: notes %q", rep.Notes)
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"a variable config reads is set", func() { t.Setenv("BLOG_FLAG", "on") }},
		{"its value changes", func() { t.Setenv("BLOG_FLAG", "off") }},
		{"it is set empty", func() { t.Setenv("BLOG_FLAG", "") }},
		{"a variable a source reads at compile time changes", func() { t.Setenv("BLOG_COMPILE", "2") }},
		{"a variable read through :os.getenv is set", func() { t.Setenv("BLOG_ERL", "x") }},
		{"a .env file appears", func() { p.Write(".env", "BLOG_FLAG=on\n") }},
		{"the .env file changes", func() { p.Write(".env", "BLOG_FLAG=off\n") }},
	}
	for _, s := range steps {
		s.do()
		if rep := runCheck(t, p, check.Options{}); skipped(rep) || starts() != 1 {
			t.Fatalf("%s: the check was skipped: notes %q", s.name, rep.Notes)
		}
		if rep := runCheck(t, p, check.Options{}); !skipped(rep) || starts() != 0 {
			t.Fatalf("%s, repeated: not skipped: notes %q", s.name, rep.Notes)
		}
	}
	// A variable nothing reads by name (and one only named in a comment)
	// does not matter.
	t.Setenv("UNRELATED_TO_BLOG", "1")
	t.Setenv("IN_A_COMMENT", "1")
	if rep := runCheck(t, p, check.Options{}); !skipped(rep) || starts() != 0 {
		t.Fatalf("an unrelated variable ran the check: notes %q", rep.Notes)
	}
	// A computed name: every check runs.
	p.Write("config/runtime.exs", "import Config\nname = \"BLOG_\" <> \"X\"\nconfig :blog, x: System.get_env(name)\n")
	for i := 0; i < 2; i++ {
		rep := runCheck(t, p, check.Options{})
		if skipped(rep) || starts() != 1 {
			t.Fatalf("a computed variable name, run %d: notes %q", i, rep.Notes)
		}
		if !strings.Contains(strings.Join(rep.Notes, "\n"), "not recorded (the next one runs too): config/runtime.exs reads an environment variable whose name is computed") {
			t.Fatalf("a check that cannot be recorded does not say why: notes %q", rep.Notes)
		}
	}
}

// Sources outside the project (`elixirc_paths: ["lib", "../shared"]`) are
// compiled by mix, but the record cannot hash them and no staged change
// regen sees tells whether they changed: nothing is recorded (a resource
// changed there is found by the next check), and the hook runs the codegen
// check for every commit, saying why.
func TestCheckSourcesOutsideTheProject(t *testing.T) {
	p, starts := countingProject(t)
	shared := filepath.Join(filepath.Dir(p.Root), "shared")
	if err := os.MkdirAll(filepath.Join(shared, "blog"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "blog", "post.ex"), []byte(readProject(t, p, "lib/blog/post.ex")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(p.Root, "lib/blog/post.ex")); err != nil {
		t.Fatal(err)
	}
	p.Write("mix.exs", strings.Replace(regentest.MixExs, `[app: :blog,`, `[app: :blog, elixirc_paths: ["lib", "../shared"],`, 1))
	p.Git("add", "-A")
	p.Git("commit", "-qm", "the resource outside the project")
	notRecorded := func(rep *check.Report) bool {
		for _, n := range rep.Notes {
			if strings.Contains(n, "not recorded") && strings.Contains(n, "../shared, outside the project") {
				return true
			}
		}
		return false
	}
	for i := 0; i < 2; i++ {
		if rep := runCheck(t, p, check.Options{}); len(rep.Findings) != 0 || skipped(rep) || starts() != 1 || !notRecorded(rep) {
			t.Fatalf("clean, run %d: starts, findings or notes %q\n%s", i, rep.Notes, dump(rep))
		}
	}
	if err := os.WriteFile(filepath.Join(shared, "blog", "post.ex"), []byte(postWith("attribute :subtitle, :string, public?: true")), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep := runCheck(t, p, check.Options{}); skipped(rep) || !reflect.DeepEqual(rulesOf(rep), []string{check.RuleCodegenDrift}) || starts() != 1 {
		t.Fatalf("a resource changed outside the project was not checked: notes %q\n%s", rep.Notes, dump(rep))
	}
	p.Write("README.md", "no resource here\n")
	p.Git("add", "README.md")
	rep := runCheck(t, p, check.Options{Staged: true, Codegen: check.CodegenAuto})
	if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCodegenDrift}) || starts() != 1 {
		t.Fatalf("hook, a commit touching no file regen sees: %v, notes %q\n%s", got, rep.Notes, dump(rep))
	}
	every := false
	for _, n := range rep.Notes {
		every = every || strings.Contains(n, "runs for every commit") && strings.Contains(n, "../shared")
	}
	if !every {
		t.Fatalf("the hook does not say why it ran: %q", rep.Notes)
	}
}

// A file mix.exs or config reads (a VERSION file, a required .exs) is an
// input: changed, the check runs again; a read regen cannot resolve is
// never vouched for, and the check says why.
func TestCheckRecordFilesTheProjectReads(t *testing.T) {
	p, starts := countingProject(t)
	p.Write("VERSION", "0.1.0\n")
	p.Write("mix.exs", strings.Replace(regentest.MixExs, `[app: :blog,`, `[app: :blog, version: File.read!("VERSION") |> String.trim(),`, 1))
	p.Write("config/config.exs", readProject(t, p, "config/config.exs")+"\nif File.exists?(\"blog.local.exs\"), do: Code.require_file(\"blog.local.exs\")\n")
	runCheck(t, p, check.Options{})
	starts()
	if rep := runCheck(t, p, check.Options{}); !skipped(rep) || starts() != 0 {
		t.Fatalf("same files: notes %q", rep.Notes)
	}
	for _, step := range []struct {
		name string
		do   func()
	}{
		{"the file mix.exs reads changes", func() { p.Write("VERSION", "0.2.0\n") }},
		{"a file config requires appears", func() { p.Write("blog.local.exs", "IO.puts(:x)\n") }},
		{"it changes", func() { p.Write("blog.local.exs", "IO.puts(:y)\n") }},
	} {
		step.do()
		if rep := runCheck(t, p, check.Options{}); skipped(rep) || starts() != 1 {
			t.Fatalf("%s: the check was skipped: notes %q", step.name, rep.Notes)
		}
		if rep := runCheck(t, p, check.Options{}); !skipped(rep) || starts() != 0 {
			t.Fatalf("%s, repeated: not skipped: notes %q", step.name, rep.Notes)
		}
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(p.Root), "elsewhere.exs"), []byte("import Config\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Write("config/config.exs", readProject(t, p, "config/config.exs")+"\nimport_config \"../../elsewhere.exs\"\n")
	for i := 0; i < 2; i++ {
		rep := runCheck(t, p, check.Options{})
		if skipped(rep) || starts() != 1 {
			t.Fatalf("a read outside the project, run %d: notes %q", i, rep.Notes)
		}
		if !strings.Contains(strings.Join(rep.Notes, "\n"), "not recorded (the next one runs too): config/config.exs reads ../elsewhere.exs") {
			t.Fatalf("a check that cannot be recorded does not say why: notes %q\n%s", rep.Notes, dump(rep))
		}
	}
}

// The hook runs the codegen check for a staged change to what codegen
// reads besides the resources: config (a domain listed there), mix.exs,
// mix.lock (a new Ash); a change to anything else still skips it, and a
// repeated check of the same content is skipped by the record.
func TestHookRunsForStagedProjectInputs(t *testing.T) {
	p, starts := countingProject(t)
	staged := check.Options{Staged: true, Codegen: check.CodegenAuto}
	p.Write("README.md", "notes\n")
	p.Git("add", "README.md")
	if rep := runCheck(t, p, staged); starts() != 0 || !strings.Contains(strings.Join(rep.Notes, "\n"), "mix.lock, config/") {
		t.Fatalf("a README change ran mix: notes %q", rep.Notes)
	}
	p.Git("commit", "-qm", "readme")
	for _, c := range []struct{ name, file, content string }{
		{"config", "config/config.exs", readProject(t, p, "config/config.exs") + "\nconfig :blog, flag: true\n"},
		{"mix.lock", "mix.lock", "%{\"ash\": {:hex, :ash, \"3.5.0\"}}\n"},
		{"mix.exs", "mix.exs", readProject(t, p, "mix.exs") + "\n# a new dep\n"},
	} {
		p.Write(c.file, c.content)
		p.Git("add", c.file)
		if rep := runCheck(t, p, staged); starts() != 1 || len(rep.Findings) != 0 {
			t.Fatalf("a staged %s change: mix starts or findings, notes %q\n%s", c.name, rep.Notes, dump(rep))
		}
		if rep := runCheck(t, p, staged); starts() != 0 || !skipped(rep) {
			t.Fatalf("the same staged %s change again: notes %q", c.name, rep.Notes)
		}
		p.Git("commit", "-qm", c.name)
	}
}
