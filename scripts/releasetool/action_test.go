package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

func loadYAML(t *testing.T, rel string) map[string]any {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(regentest.ModuleRoot(), rel))
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseYAML(string(src))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a mapping", rel)
	}
	return m
}

// allowedKeys fails on a key outside the schema (a typo GitHub would
// reject, or silently ignore).
func allowedKeys(t *testing.T, where string, m map[string]any, allowed ...string) {
	t.Helper()
	for k := range m {
		if !contains(allowed, k) {
			t.Errorf("%s: key %q is not in GitHub's action metadata syntax (allowed: %v)", where, k, allowed)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// action.yml against GitHub's metadata syntax for a composite action
// (docs.github.com/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions):
// name and description and runs required; each input has a description,
// and required/default of the right form; runs.using composite with steps;
// each `run` step has a `shell`; expressions name only declared inputs.
func TestActionYAMLFollowsGitHubsSchema(t *testing.T) {
	a := loadYAML(t, "action.yml")
	allowedKeys(t, "action.yml", a, "name", "author", "description", "inputs", "outputs", "runs", "branding")
	for _, k := range []string{"name", "description"} {
		if s, _ := a[k].(string); s == "" {
			t.Errorf("action.yml: %s is required (a non-empty string)", k)
		}
	}
	if b, ok := a["branding"].(map[string]any); ok {
		allowedKeys(t, "branding", b, "icon", "color")
		colors := []string{"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}
		if c, _ := b["color"].(string); !contains(colors, c) {
			t.Errorf("branding.color %q is not one of %v", c, colors)
		}
	}
	inputs, _ := a["inputs"].(map[string]any)
	id := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	var names []string
	for name, v := range inputs {
		names = append(names, name)
		if !id.MatchString(name) {
			t.Errorf("input id %q: must start with a letter or _ and hold only letters, digits, - and _", name)
		}
		in, ok := v.(map[string]any)
		if !ok {
			t.Errorf("input %s is not a mapping", name)
			continue
		}
		allowedKeys(t, "inputs."+name, in, "description", "required", "default", "deprecationMessage")
		if s, _ := in["description"].(string); s == "" {
			t.Errorf("input %s: description is required", name)
		}
		if r, ok := in["required"]; ok && r != "true" && r != "false" {
			t.Errorf("input %s: required is %v, want true or false", name, r)
		}
		if _, ok := in["default"].(string); in["default"] != nil && !ok {
			t.Errorf("input %s: default must be a string", name)
		}
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "args,version,working-directory" {
		t.Errorf("inputs %v, want args, version, working-directory", names)
	}
	if d := inputs["args"].(map[string]any)["default"]; d != "check --format github" {
		t.Errorf("args default %q, want \"check --format github\"", d)
	}
	runs, _ := a["runs"].(map[string]any)
	allowedKeys(t, "runs", runs, "using", "steps")
	if runs["using"] != "composite" {
		t.Fatalf("runs.using is %v, want composite", runs["using"])
	}
	steps, _ := runs["steps"].([]any)
	if len(steps) == 0 {
		t.Fatal("runs.steps is empty")
	}
	expr := regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
	for i, s := range steps {
		step, ok := s.(map[string]any)
		if !ok {
			t.Fatalf("step %d is not a mapping", i)
		}
		where := fmt.Sprintf("runs.steps[%d]", i)
		allowedKeys(t, where, step, "name", "id", "if", "run", "shell", "uses", "with", "env", "working-directory", "continue-on-error")
		_, hasRun := step["run"]
		_, hasUses := step["uses"]
		if hasRun == hasUses {
			t.Errorf("%s: exactly one of run and uses", where)
		}
		if hasRun {
			if sh, _ := step["shell"].(string); sh == "" {
				t.Errorf("%s: a run step needs shell", where)
			}
			// The script never holds an expression: inputs reach it as
			// environment variables, so no input text becomes shell code.
			if expr.MatchString(step["run"].(string)) {
				t.Errorf("%s: run interpolates an expression; pass it through env", where)
			}
		}
		for _, m := range expr.FindAllStringSubmatch(fmt.Sprint(step), -1) {
			if name, ok := strings.CutPrefix(m[1], "inputs."); ok {
				if _, declared := inputs[name]; !declared {
					t.Errorf("%s: uses undeclared input %s", where, name)
				}
			} else if !strings.HasPrefix(m[1], "github.") {
				t.Errorf("%s: unexpected expression %s", where, m[1])
			}
		}
	}
}

// runAction plays action.yml's steps as a runner does: expressions
// replaced in env and working-directory, each run script in `bash
// --noprofile --norc -eo pipefail`, GITHUB_PATH's lines prepended to PATH
// for the next step. It returns the last step's output and exit code.
func runAction(t *testing.T, inputs map[string]string, workspace string, env []string) (string, int) {
	t.Helper()
	a := loadYAML(t, "action.yml")
	for name, in := range a["inputs"].(map[string]any) {
		if _, set := inputs[name]; !set {
			d, _ := in.(map[string]any)["default"].(string)
			inputs[name] = d
		}
	}
	tmp := t.TempDir()
	ghPath := filepath.Join(tmp, "github_path")
	os.WriteFile(ghPath, nil, 0o644)
	expr := regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
	eval := func(s string) string {
		return expr.ReplaceAllStringFunc(s, func(m string) string {
			key := expr.FindStringSubmatch(m)[1]
			if name, ok := strings.CutPrefix(key, "inputs."); ok {
				return inputs[name]
			}
			if key == "github.action_ref" {
				return "v" + testVersion
			}
			t.Fatalf("expression %s not known to the test runner", key)
			return ""
		})
	}
	var out string
	var code int
	for i, s := range a["runs"].(map[string]any)["steps"].([]any) {
		step := s.(map[string]any)
		script := filepath.Join(tmp, fmt.Sprintf("step%d.sh", i))
		os.WriteFile(script, []byte(step["run"].(string)), 0o644)
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir = workspace
		if wd, ok := step["working-directory"].(string); ok {
			cmd.Dir = filepath.Join(workspace, eval(wd))
		}
		added, _ := os.ReadFile(ghPath)
		path := os.Getenv("PATH")
		for _, p := range strings.Fields(string(added)) {
			path = p + string(os.PathListSeparator) + path
		}
		cmd.Env = append(append(os.Environ(), env...), "GITHUB_ACTION_PATH="+regentest.ModuleRoot(), "RUNNER_TEMP="+tmp, "GITHUB_PATH="+ghPath, "GITHUB_WORKSPACE="+workspace, "PATH="+path)
		cmd.Env = append(cmd.Env, hostRunner()...)
		if e, ok := step["env"].(map[string]any); ok {
			for k, v := range e {
				cmd.Env = append(cmd.Env, k+"="+eval(v.(string)))
			}
		}
		b, err := cmd.CombinedOutput()
		out, code = string(b), exitCode(err)
		if code != 0 {
			return fmt.Sprintf("step %d (%v):\n%s", i, step["name"], out), code
		}
	}
	return out, code
}

// The action, run as a runner would, against the loopback server: it
// installs the release for this runner and runs regen with the inputs;
// args are words (no globbing, no command substitution).
func TestActionInstallsAndRunsRegen(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("the action's steps are bash")
	}
	url := "REGEN_RELEASE_URL=" + serve(t, release(t), nil)
	ws := t.TempDir()
	out, code := runAction(t, map[string]string{"version": testVersion, "args": "version"}, ws, []string{url})
	if code != 0 || !strings.HasPrefix(out, "regen v"+testVersion+" ") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	t.Run("version defaults to the action's ref", func(t *testing.T) {
		out, code := runAction(t, map[string]string{"args": "--version"}, ws, []string{url})
		if code != 0 || !strings.HasPrefix(out, "regen v"+testVersion+" ") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("args are words, never shell code", func(t *testing.T) {
		out, code := runAction(t, map[string]string{"version": testVersion, "args": "completion $(touch pwned) `touch pwned2` * ;touch pwned3"}, ws, []string{url})
		if code != 2 {
			t.Fatalf("exit %d, want regen's usage error:\n%s", code, out)
		}
		for _, f := range []string{"pwned", "pwned2", "pwned3"} {
			if _, err := os.Stat(filepath.Join(ws, f)); err == nil {
				t.Fatalf("args ran shell code (%s created):\n%s", f, out)
			}
		}
	})
	t.Run("default args: findings become annotations, exit 1", func(t *testing.T) {
		p := regentest.NewProject(t)
		// A generated migration nobody committed: a finding of the check.
		p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :views, :integer, public?: true"}, nil))
		p.Mix("ash.codegen", "add_views")
		env := append(append(p.GitEnv(), "REGEN_MIX="+regentest.Mixsim(t), "NO_COLOR=1", url), p.Env...)
		out, code := runAction(t, map[string]string{"version": testVersion, "working-directory": "."}, p.Root, env)
		if code != 1 || !strings.Contains(out, "::error") {
			t.Fatalf("exit %d, want 1 with ::error annotations:\n%s", code, out)
		}
	})
}
