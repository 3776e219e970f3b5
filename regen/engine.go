package regen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/regen-tool/regen/regen/project"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/snapshots"
)

// Options configure an Engine. Everything the engine touches comes in here:
// no globals, no direct terminal output.
type Options struct {
	Dir        string              // where regen was started
	ConfigFile string              // --config, "" for <root>/.regen.toml
	Getenv     func(string) string // os.Getenv in production
	Reporter   Reporter
	ChildOut   io.Writer // the mix tasks' output, streamed through (indented)
	Timeout    time.Duration
	Now        func() time.Time
	// TerminateConnections ends other sessions on a PostgreSQL database so
	// that a template backup can be taken.
	TerminateConnections bool
}

// Engine runs regen's commands on one repository.
type Engine struct {
	opts Options
	git  *gitops.Repo
	// projectDir is the project found at Open ("" if none): the commands
	// read the repository that holds it (see openProjectRepo).
	projectDir string
	stateDir   string
	rep        Reporter
	runner     *migrator.Runner
	faults     faultPlan
	hashes     *fileHasher // file hashes by stat, for the forward steps of one run
	// liveDBs are the loaded project's databases by repo name: their
	// connections have the passwords journals never hold (openRecorded).
	liveDBs map[string]database
	// live is the journal this command has open: the children it starts
	// are recorded there (see journaledCommand).
	live *Journal
	// keepPresent: every PostgreSQL restore keeps the present database
	// (recover, undo), not only one whose data changed (see restoreDB).
	keepPresent bool
	// wantVM: this command is a run that may have the one-VM driver (vm),
	// started by its first mix need; runID is the run's id when the driver
	// started before the journal (vmdriver.go).
	wantVM bool
	vm     *vmDriver
	runID  string
	// cacheWrite is the driver's config answer being cached (repoConfigs).
	cacheWrite sync.WaitGroup
	// relay is the user's terminal for codegen's questions (nil: none);
	// questions notes what codegen asked (codegen_questions.go).
	relay     *migrator.TTYRelay
	questions *questionWatch
}

// Open finds the git repository around opts.Dir. The project itself (mix.exs,
// config, databases) is loaded by the commands that need it, so that
// `regen recover` works even when the project does not load.
func Open(opts Options) (*Engine, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Reporter == nil {
		opts.Reporter = discardReporter{}
	}
	if opts.ChildOut == nil {
		opts.ChildOut = io.Discard
	}
	git, projectDir, err := openProjectRepo(opts.Dir)
	var ie *InputError
	if errors.As(err, &ie) {
		return nil, err
	}
	if err != nil {
		var envErr *gitops.EnvError
		if errors.As(err, &envErr) {
			// git's environment decided; say so, and what git said. regen
			// uses the repository git would use, or none.
			next := "Unset " + strings.Join(envErr.Because, " ") + " (or point them at the project's repository and work tree) and run again."
			if !strings.HasPrefix(envErr.Because[0], "GIT_") {
				next = "Run `git status` in " + opts.Dir + ": git says what to change (regen works wherever git does)."
			}
			return nil, &InputError{What: envErr.Detail + "; regen works only on the repository git would use.", Next: next}
		}
		if errors.Is(err, gitops.ErrNotRepository) {
			return nil, &InputError{
				What: fmt.Sprintf("%s is not inside a git repository; regen tells your migrations apart by what git tracks.", opts.Dir),
				Next: "Run regen inside the project's git checkout (or `git init` and commit your tracked migrations first).",
			}
		}
		return nil, fmt.Errorf("cannot open the git repository: %w", err)
	}
	faults, err := parseFaults(opts.Getenv(faultEnv))
	if err != nil {
		return nil, &InputError{What: err.Error(), Next: "Unset " + faultEnv + "."}
	}
	e := &Engine{
		opts:       opts,
		git:        git,
		projectDir: projectDir,
		stateDir:   filepath.Join(git.GitDir, "regen"),
		rep:        opts.Reporter,
		runner:     &migrator.Runner{Stdout: opts.ChildOut, Stderr: opts.ChildOut, Indent: "    │ ", Timeout: opts.Timeout, Env: git.ChildEnv(), Unset: git.ChildUnset()},
		hashes:     &fileHasher{},
		faults:     faults,
	}
	e.questions = &questionWatch{w: opts.ChildOut, relay: func() *migrator.TTYRelay { return e.relay }}
	e.runner.Stdout = e.questions
	return e, nil
}

// StateDir is where the lock, the journal and the backups live.
func (e *Engine) StateDir() string { return e.stateDir }

// OpenJournal returns the journal of an interrupted run, or nil.
func (e *Engine) OpenJournal() (*Journal, error) { return loadJournal(e.stateDir) }

// guard is what every changing command runs first: take the lock (a live
// run holds it), then refuse if an interrupted run left its journal.
func (e *Engine) guard(command string) (*lock, error) {
	lk, err := acquireLock(e.stateDir, command, e.opts.Now())
	if err != nil {
		return nil, err
	}
	if err := e.refuseIfJournal(); err != nil {
		lk.release()
		return nil, err
	}
	return lk, nil
}

// Running reports the live run holding the lock, if any. It only looks:
// taking the lock, even for an instant, would make a run starting then
// refuse.
func (e *Engine) Running() *LockInfo { return observeLock(e.stateDir) }

func (e *Engine) refuseIfJournal() error {
	j, err := loadJournal(e.stateDir)
	if err != nil {
		e.stopLeftoversOfUnfinished()
		return &NeedsRecoverError{RunID: "unknown", Step: "unknown", Journal: journalPath(e.stateDir), Damaged: err}
	}
	if j != nil {
		// A child of that run may still be running (holding mix's build
		// lock, about to write): whatever comes next, it must stop now.
		if err := e.stopLeftovers(j); err != nil {
			e.rep.Warn("%v", err)
		}
		return &NeedsRecoverError{RunID: j.RunID, Step: string(j.Step), Journal: journalPath(e.stateDir)}
	}
	return nil
}

// loadProject loads the project with its databases, for the commands that
// read or change them.
func (e *Engine) loadProject(ctx context.Context) (*workspace, error) {
	p, err := e.loadProjectFiles()
	if err != nil {
		return nil, err
	}
	if e.wantVM && vmUnavailable(p.cfg) == "" {
		// A run's driver boots from here, while regen reads the config
		// cache, opens the databases, plans and backs up (vmdriver.go).
		e.startVMEarly(ctx, p.cfg)
	}
	if err := e.resolveDatabases(ctx, p.cfg); err != nil {
		return nil, err
	}
	p.hasher = e.hashes
	for _, r := range p.cfg.Repos {
		db, err := openDatabase(r, e.opts.Getenv, e.opts.TerminateConnections, e.rep)
		if err != nil {
			return nil, err
		}
		p.dbs = append(p.dbs, db)
		if e.liveDBs == nil {
			e.liveDBs = map[string]database{}
		}
		e.liveDBs[r.Name] = db
	}
	return p, nil
}

// loadProjectFiles finds the project, reads its config and checks its
// folders: what every command needs, without touching a database or mix.
func (e *Engine) loadProjectFiles() (*workspace, error) {
	root := e.projectDir
	if root == "" {
		_, err := findProjectRoot(e.opts.Dir, e.git.Root)
		if err == nil {
			err = &InputError{What: fmt.Sprintf("no Elixir project was found from %s.", e.opts.Dir), Next: "Run regen inside the project."}
		}
		return nil, err
	}
	cfg, err := loadConfig(root, e.opts.ConfigFile, e.opts.Getenv)
	if err != nil {
		return nil, err
	}
	prefix, err := filepath.Rel(e.git.Root, root)
	if err != nil || prefix == ".." || strings.HasPrefix(prefix, ".."+string(filepath.Separator)) {
		return nil, &InputError{What: fmt.Sprintf("the project %s is outside the git work tree %s.", root, e.git.Root), Next: "Run regen inside the checkout."}
	}
	prefix = filepath.ToSlash(prefix)
	if prefix == "." {
		prefix = ""
	}
	for _, r := range cfg.Repos {
		for _, folder := range r.Folders() {
			if err := checkFolder(root, folder); err != nil {
				return nil, err
			}
		}
	}
	return &workspace{cfg: cfg, git: e.git, prefix: prefix}, nil
}

// checkFolder refuses a configured folder that is, or passes through, a
// symlink: regen never follows one out of the project.
func checkFolder(root, folder string) error {
	p := root
	for _, part := range strings.Split(folder, "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return &InputError{What: fmt.Sprintf("cannot read %s: %v.", p, err), Next: "Check the folder's permissions."}
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return &InputError{What: fmt.Sprintf("%s is a symlink; regen does not follow symlinks out of the project.", p), Next: "Configure the real folder in .regen.toml."}
		}
		if !fi.IsDir() {
			return &InputError{What: fmt.Sprintf("%s is not a folder.", p), Next: "Fix the folder in .regen.toml."}
		}
	}
	return nil
}

// resolveDatabases asks the project (once, cached under the git dir) for
// the repos whose database .regen.toml does not give.
func (e *Engine) resolveDatabases(ctx context.Context, cfg *project.Config) error {
	missing := false
	for _, r := range cfg.Repos {
		if r.Database == "" {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	// Each app of an umbrella answers for its own repos, in its own folder.
	answersByApp := map[string][]migrator.RepoConfig{}
	fromByApp := map[string]string{}
	for i := range cfg.Repos {
		r := &cfg.Repos[i]
		if r.Database != "" {
			continue
		}
		if _, done := answersByApp[r.App]; !done {
			answers, from, err := e.repoConfigs(ctx, cfg, r.App)
			if err != nil {
				return err
			}
			answersByApp[r.App], fromByApp[r.App] = answers, from
		}
		answers, from := answersByApp[r.App], fromByApp[r.App]
		for _, a := range answers {
			if !repoMatches(*r, a) {
				continue
			}
			switch {
			case a.IsSQLite():
				r.Database, r.Adapter = a.Database, "sqlite"
				if r.Database != "" && !filepath.IsAbs(r.Database) {
					r.Database = filepath.Join(cfg.Root, filepath.FromSlash(r.App), r.Database)
				}
			case a.IsPostgres():
				r.Database, r.Adapter = postgresURL(a), "postgres"
			default:
				return &InputError{
					What: fmt.Sprintf("repo %s uses the adapter %s, which regen does not support (SQLite3 and Postgres are).", a.Repo, a.Adapter),
					Next: "Remove the repo from .regen.toml, or configure its folders and database for a supported adapter.",
				}
			}
			r.DatabaseFrom, r.Identity = from, a.Identity()
			if r.Module == "" {
				r.Module = a.Repo
			}
			if r.MigrationSource == "" {
				r.MigrationSource = a.MigrationSource
			}
		}
		if r.Database == "" {
			return &InputError{
				What: fmt.Sprintf("the project's mix config names no database for repo %q (folder %s).", r.Name, r.Migrations),
				Next: "Set `database = \"path/to/dev.db\"` (SQLite) or `database = \"postgres://user@host/db\"` for this repo in .regen.toml, or DATABASE_URL.",
			}
		}
	}
	return nil
}

// repoMatches pairs a configured repo with the project's answer by its priv
// folder (priv/repo -> "repo") or its module.
func repoMatches(r project.RepoConfig, a migrator.RepoConfig) bool {
	if r.Module != "" && a.Repo == r.Module {
		return true
	}
	// An umbrella app answers with paths relative to the app.
	if r.App != "" {
		r.Migrations = strings.TrimPrefix(r.Migrations, r.App+"/")
		r.Name = path.Base(r.Name)
	}
	priv := strings.TrimSuffix(filepath.ToSlash(a.Priv), "/")
	if priv == "" {
		// Ecto's default priv is priv/<repo name underscored>.
		mod := a.Repo[strings.LastIndex(a.Repo, ".")+1:]
		priv = "priv/" + snapshots.SnakeCase(mod)
	}
	return strings.HasSuffix(priv, "/"+r.Name) && strings.HasPrefix(r.Migrations, priv+"/") || priv+"/migrations" == r.Migrations
}

func (e *Engine) repoConfigs(ctx context.Context, cfg *project.Config, app string) ([]migrator.RepoConfig, string, error) {
	key, err := project.ConfigHash(cfg.Root, e.opts.Getenv)
	if err != nil {
		return nil, "", err
	}
	if app != "" {
		key += "-" + strings.ReplaceAll(app, "/", "_")
	}
	cache := project.RepoCache{StateDir: e.stateDir, Getenv: e.opts.Getenv, Write: writeFileAtomic}
	if data, ok := cache.Load(key); ok {
		if answers, err := migrator.ParseRepoConfig(data); err == nil {
			return answers, "mix config (cached)", nil
		}
	}
	e.rep.StepStart("config", "asking the project for its repos' databases (once; cached)")
	start := time.Now()
	if output, ok := e.vmAnswers(ctx, cfg, app); ok {
		if answers, err := migrator.ParseRepoConfig(output); err == nil {
			e.rep.StepEnd("config", time.Since(start), nil)
			// Written beside the run: its two fsyncs were on the cold
			// run's path to its first task. The run's end waits for it
			// (closeVM, deferred wherever vmAnswers can answer).
			e.cacheWrite.Add(1)
			go func() {
				defer e.cacheWrite.Done()
				cache.Store(key, output)
			}()
			return answers, "mix config", nil
		}
	}
	answers, output, err := e.askRepoConfigs(ctx, cfg, app)
	e.rep.StepEnd("config", time.Since(start), err)
	if err != nil {
		return nil, "", err
	}
	cache.Store(key, output)
	return answers, "mix config", nil
}

// askRepoConfigs runs the repo query in the project (no cache) and returns
// the answers with the query's whole output.
func (e *Engine) askRepoConfigs(ctx context.Context, cfg *project.Config, app string) ([]migrator.RepoConfig, string, error) {
	argv := append(append([]string{}, cfg.Mix...), "run", "--no-start", "--no-compile", "-e", migrator.RepoConfigQuery())
	var out strings.Builder
	res, err := e.mix(ctx, mixCall{Argv: argv, Dir: filepath.Join(cfg.Root, filepath.FromSlash(app)), Capture: &out, Timeout: 5 * time.Minute, Unrecorded: true})
	if err != nil {
		return nil, "", &InputError{What: fmt.Sprintf("cannot run %s: %v", cfg.Mix[0], err), Next: "Set the mix command with REGEN_MIX or `mix = \"...\"` in .regen.toml, or set each repo's database there."}
	}
	answers, perr := migrator.ParseRepoConfig(out.String())
	if res.ExitCode != 0 || perr != nil {
		return nil, "", &InputError{
			What: fmt.Sprintf("asking the project for its repo config failed (exit %d):\n%s", res.ExitCode, indent(tail(withoutRepoLines(out.String()), 2000))),
			// The query does not compile (a read-only question): a MIX_ENV
			// never built has no repo modules yet.
			Next: "Fix the project so that `mix run --no-start --no-compile` works (it compiles nothing: run `mix compile` first, with the same MIX_ENV), or set each repo's `database` in .regen.toml.",
		}
	}
	return answers, out.String(), nil
}

func newRunID(now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// withoutRepoLines drops the answer lines from output shown to the user:
// they may carry a database password.
func withoutRepoLines(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "regen-repo ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// postgresURL builds a connection URL from the project's answer.
func postgresURL(a migrator.RepoConfig) string {
	if a.URL != "" {
		return a.URL
	}
	u := &url.URL{Scheme: "postgres", Host: a.Hostname, Path: "/" + a.Database}
	if u.Host == "" {
		u.Host = "localhost"
	}
	if a.Port != 0 {
		u.Host += ":" + strconv.Itoa(a.Port)
	}
	if a.Username != "" {
		if a.Password != "" {
			u.User = url.UserPassword(a.Username, a.Password)
		} else {
			u.User = url.User(a.Username)
		}
	}
	return u.String()
}
