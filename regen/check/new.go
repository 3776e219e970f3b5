package check

import (
	"path"
	"strings"
)

// newMigrations are the migrations the optional rules look at: untracked
// (work-tree mode), staged but not in HEAD, and with --base everything
// added since the merge base.
func (in *checkInput) newMigrations(mergeBase string) ([]checkMigration, error) {
	v := in.v
	fresh := map[string]bool{}
	if !in.staged {
		for _, u := range in.untracked {
			fresh[u] = true
		}
	}
	head, err := v.Git().HeadHash()
	if err != nil {
		return nil, checkGitError(err)
	}
	bases := []string{mergeBase}
	if head != "" {
		bases = append(bases, head)
	}
	for _, cr := range in.repos {
		for _, b := range bases {
			if b == "" {
				continue
			}
			added, err := v.Git().AddedSince(b, v.GitPaths([]string{cr.cfg.Migrations}))
			if err != nil {
				return nil, checkGitError(err)
			}
			for _, a := range added {
				fresh[v.ProjectPath(a)] = true
			}
		}
	}
	var out []checkMigration
	for _, cr := range in.repos {
		for _, m := range cr.wellFormed() {
			// An unborn branch has no history: everything is new.
			if fresh[m.path] || head == "" {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// wantCodegen decides whether the codegen check runs; why says why not.
func (in *checkInput) wantCodegen(opts Options) (run bool, why string, err error) {
	switch opts.Codegen {
	case CodegenNever:
		return false, "--no-codegen", nil
	case CodegenAlways:
		return true, "", nil
	}
	v := in.v
	folders := []string{}
	for _, r := range v.Config().Repos {
		folders = append(folders, r.Migrations, r.Snapshots)
	}
	for _, g := range opts.CodegenPaths {
		folders = append(folders, checkGlobRoot(g))
	}
	inputs, inputPaths := projectInputs(v.Config().Umbrella)
	folders = append(folders, inputPaths...)
	changed, err := v.Git().Changed(v.GitPaths(folders))
	if err != nil {
		return false, "", checkGitError(err)
	}
	for _, c := range changed {
		if !c.Staged {
			continue
		}
		rel := v.ProjectPath(c.Path)
		for _, r := range v.Config().Repos {
			if checkUnder(rel, r.Migrations) || checkUnder(rel, r.Snapshots) {
				return true, "", nil
			}
		}
		for _, g := range opts.CodegenPaths {
			if checkGlobMatch(g, rel) {
				return true, "", nil
			}
		}
		for _, g := range inputs {
			if checkGlobMatch(g, rel) {
				return true, "", nil // a domain listed in config, a new Ash in mix.lock
			}
		}
	}
	return false, "no staged change touches " + strings.Join(opts.CodegenPaths, ", ") + ", mix.exs, mix.lock, config/ or the generated folders", nil
}

// projectInputs are what codegen reads besides the sources, whose staged
// change runs the codegen check too: the project's mix.exs, mix.lock and
// config (each app's in an umbrella), as globs and as the paths git is
// asked about (the files themselves: not the whole project).
func projectInputs(umbrella bool) (globs, paths []string) {
	globs = []string{"mix.exs", "mix.lock", "config/**"}
	paths = []string{"mix.exs", "mix.lock", "config"}
	if umbrella {
		globs = append(globs, "apps/*/mix.exs", "apps/*/config/**")
		paths = append(paths, "apps")
	}
	return globs, paths
}

// checkGlobRoot is the folder part of a glob before its first wildcard ("" for
// the whole project).
func checkGlobRoot(g string) string {
	var keep []string
	for _, part := range strings.Split(g, "/") {
		if strings.ContainsAny(part, "*?[") {
			break
		}
		keep = append(keep, part)
	}
	if len(keep) == len(strings.Split(g, "/")) {
		keep = keep[:len(keep)-1] // a plain file name: its folder
	}
	return strings.Join(keep, "/")
}

// checkGlobMatch matches a slash path against a glob where `**` spans any
// number of folders and other segments follow path.Match.
func checkGlobMatch(glob, name string) bool {
	return checkMatchParts(strings.Split(glob, "/"), strings.Split(name, "/"))
}

func checkMatchParts(g, n []string) bool {
	for len(g) > 0 {
		if g[0] == "**" {
			for i := 0; i <= len(n); i++ {
				if checkMatchParts(g[1:], n[i:]) {
					return true
				}
			}
			return false
		}
		if len(n) == 0 {
			return false
		}
		if ok, err := path.Match(g[0], n[0]); err != nil || !ok {
			return false
		}
		g, n = g[1:], n[1:]
	}
	return len(n) == 0
}
