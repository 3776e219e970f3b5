package main

// Umbrella projects (`mix new NAME --umbrella`): at the root, whose mix.exs
// has apps_path and no app:, tasks recurse into each app the way Mix runs
// recursive tasks, "==> app" first. Inside an app folder the app is a plain
// project whose mix.exs points build_path/config_path at the root (see
// loadProject), so nothing here is involved.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var reAppsPath = regexp.MustCompile(`\bapps_path:\s*"([^"]*)"`)

// umbrellaAppsPath reports whether root is an umbrella root, and its
// apps_path. An app's own mix.exs (it has app:) never is.
func umbrellaAppsPath(root string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(root, "mix.exs"))
	if err != nil || reApp.Match(data) {
		return "", false
	}
	m := reAppsPath.FindSubmatch(data)
	if m == nil {
		return "", false
	}
	return filepath.Clean(string(m[1])), true
}

// loadUmbrella makes one session per app folder (with a mix.exs) under
// appsPath, sorted by folder name. The app sessions share this process's
// output and fault switches: it is still one BEAM.
func (s *session) loadUmbrella(appsPath string, getenv func(string) string) error {
	entries, err := os.ReadDir(filepath.Join(s.root, appsPath))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s.apps = []*session{} // non-nil: dispatch recurses even with no apps
	sqlite := false
	for _, e := range entries { // ReadDir sorts by name
		dir := filepath.Join(s.root, appsPath, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "mix.exs")); !e.IsDir() || err != nil {
			continue
		}
		proj, err := loadProject(dir, getenv)
		if err != nil {
			return mixError("%s: %s", filepath.Join(appsPath, e.Name()), err.Error())
		}
		if err := detectPostgres(proj, getenv); err != nil {
			return mixError("%s", err.Error())
		}
		sqlite = sqlite || !proj.postgres
		s.apps = append(s.apps, &session{root: dir, stdout: s.stdout, stderr: s.stderr, faults: s.faults, now: s.now, proj: proj})
	}
	// The deps are shared: exqlite is announced once, as in a plain project.
	if sqlite {
		fmt.Fprintln(s.stdout, "==> exqlite")
	}
	return nil
}

// dispatchUmbrella runs one task in every app it concerns, stopping at the
// first app that fails (the task exits the VM there, as in Mix).
func (s *session) dispatchUmbrella(name string, args []string) error {
	switch name {
	case "help":
		return s.help()
	case "run":
		return s.runEvalUmbrella(args)
	}
	apps, err := s.actingApps(args)
	if err != nil {
		return err
	}
	for _, a := range apps {
		s.enter(a)
		err := a.dispatch(name, args)
		s.leave(a)
		if err != nil {
			return err
		}
	}
	return nil
}

// enter prints the app's banner and hands it the task's fault state;
// leave takes it back (a :mid sleep happens once per task, not per app).
func (s *session) enter(a *session) {
	fmt.Fprintf(s.stdout, "==> %s\n", a.proj.app)
	a.appBanner = true
	a.lie = s.lie
	a.midSleep, a.midSleptFor = s.midSleep, s.midSleptFor
}

func (s *session) leave(a *session) {
	s.midSleptFor = s.midSleptFor || a.midSleptFor
	a.lie = false
}

// actingApps applies -r/--repo across the umbrella. Simplification: an app
// whose config lacks every named repo is skipped silently (real Ecto would
// fail there with "could not find repo"); only when no app has one does
// the task fail, as it would everywhere.
func (s *session) actingApps(args []string) ([]*session, error) {
	repos := repoArgs(args)
	if len(repos) == 0 {
		return s.apps, nil
	}
	var out []*session
	for _, a := range s.apps {
		for _, r := range repos {
			if a.proj.repo(r) != nil {
				out = append(out, a)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, mixError("Could not load %s, error: :nofile. Please configure your app accordingly or pass a repo with the -r option.", repos[0])
	}
	return out, nil
}

// repoArgs collects -r R, --repo R and --repo=R.
func repoArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-r" || a == "--repo") && i+1 < len(args):
			i++
			out = append(out, args[i])
		case strings.HasPrefix(a, "--repo="):
			out = append(out, strings.TrimPrefix(a, "--repo="))
		}
	}
	return out
}

// umbrellaFailBanner: an injected MIXSIM_FAIL fails the task in its first
// app, so that app's banner comes first, as with a real compile error.
func (s *session) umbrellaFailBanner(name string, args []string) {
	if s.apps == nil {
		return
	}
	apps := s.apps
	if name != "run" {
		apps, _ = s.actingApps(args)
	}
	if len(apps) > 0 {
		fmt.Fprintf(s.stdout, "==> %s\n", apps[0].proj.app)
	}
}

// runEvalUmbrella is `mix run -e` at the root: not recursive in Mix, but the
// (recursive) compile comes first, then the code runs once with every app
// loaded. The answer covers every app's repos; priv is given relative to the
// root (apps/<app>/priv/repo) so the apps' folders can be told apart.
func (s *session) runEvalUmbrella(args []string) error {
	o, err := parseRunArgs(args)
	if err != nil {
		return err
	}
	if !o.noCompile {
		for _, a := range s.apps {
			s.enter(a)
			err := a.ensureCompiled()
			s.leave(a)
			if err != nil {
				return err
			}
		}
	}
	if !o.haveCode {
		return nil
	}
	if err := o.checkEval(); err != nil {
		return err
	}
	for _, a := range s.apps {
		rel, err := filepath.Rel(s.root, a.root)
		if err != nil {
			return err
		}
		a.printRepoAnswers(rel)
	}
	return nil
}
