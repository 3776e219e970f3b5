package regen

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/snapshots"
)

// Plan is the read-only first step: what is untracked, what is applied, and
// exactly what a run would do. `regen status` shows it; `regen NAME` carries
// it out.
type Plan struct {
	Name    string     `json:"name,omitempty"`
	Migrate bool       `json:"migrate"`
	Force   bool       `json:"force"`
	Repos   []RepoPlan `json:"repos"`
	Git     string     `json:"git_backend"`
	// Base is the merge base with --base REF: migrations committed since
	// it are regenerated too.
	Base string `json:"base,omitempty"`
	// Blocked explains why the run cannot go ahead as asked ("" when it can).
	Blocked string `json:"blocked,omitempty"`
	// Steps are the steps a run would take, from the run's list (run_steps.go).
	Steps []StepName `json:"steps,omitempty"`
	// StoreProblem: regen's store could not be used (status says it once).
	StoreProblem string `json:"store_problem,omitempty"`
}

// Migration is one migration file.
type Migration struct {
	Version int64  `json:"version"`
	Slug    string `json:"name"`
	Path    string `json:"path"` // project-relative
	Applied bool   `json:"applied"`
	Dev     bool   `json:"dev,omitempty"`
	// Committed: tracked, but added on this branch since --base.
	Committed bool `json:"committed,omitempty"`
	// content is a phantom's recovered file (sync_plan.go): Path is where
	// it would be, and nothing is there.
	content []byte
}

type RepoPlan struct {
	Name       string `json:"repo"`
	Database   string `json:"database"`
	Migrations string `json:"migrations_folder"`
	Snapshots  string `json:"snapshots_folder"`

	Applied   []int64     `json:"applied"`
	Tracked   []Migration `json:"-"`
	Untracked []Migration `json:"untracked"`
	// Rollback is untracked ∩ applied (plus, with --force, tracked migrations
	// applied after them), newest last.
	Rollback []Migration `json:"rollback"`
	// Reapply are tracked migrations that --force rolls back and applies again.
	Reapply []Migration `json:"reapply"`
	// BlockedBy are tracked migrations applied after an untracked one.
	BlockedBy []Migration `json:"blocked_by"`
	// BaseAfter, with --base, are the base's migrations applied after the
	// branch's (main merged in, then migrated): they stay applied while the
	// branch's are rolled back around them (mergebase.go).
	BaseAfter []Migration `json:"base_after,omitempty"`
	// Remove are the untracked files that will be removed (migrations and snapshots).
	Remove []string `json:"remove"`
	// RestoreTracked are tracked generated files that differ from the index.
	RestoreTracked []string `json:"restore_tracked"`
	// RestoreBase are generated files put back as the --base merge base has them.
	RestoreBase []string `json:"restore_base,omitempty"`
	// ChangedMigrations are tracked migrations edited in the work tree: reported, never touched.
	ChangedMigrations []string `json:"changed_tracked_migrations"`
	// StagedNew are migrations and snapshots in the index but not in HEAD
	// (`git add`, not committed): a run refuses (see refuseStagedNew).
	StagedNew []string `json:"staged_not_committed,omitempty"`
	// Orphans are applied versions with no file: Ecto skips them silently.
	Orphans []int64 `json:"orphans"`
	// Stray are untracked files that are neither migrations nor snapshots: never counted, never touched.
	Stray []string `json:"stray"`
	// Ignored are ignored files in the folders: never touched.
	Ignored []string `json:"ignored"`
	// DevFiles are _dev migrations and snapshots present.
	DevFiles []string `json:"dev_files"`
	// RollbackBy is how the rollback will go; DownRaises names the
	// rolled-back migration whose `down` raises (why auto rebuilds, why
	// down will fail). Strategy says both for people.
	RollbackBy Strategy `json:"rollback_by,omitempty"`
	DownRaises string   `json:"down_raises,omitempty"`
	Strategy   string   `json:"strategy,omitempty"`
	// WouldDrop estimates, from the rolled-back files, what a rebuild drops.
	WouldDrop []string `json:"would_drop,omitempty"`
	// ForceDrops: with --force, the tables (and columns) of the tracked
	// migrations rolled back and applied again, whose rows do not survive.
	ForceDrops []string `json:"force_drops,omitempty"`
	// Problems are what would make the run fail in codegen or migrate
	// (Blocks: it refuses first), or what it leaves as it is.
	Problems []Problem `json:"problems"`
	// Tenant schemas (AshPostgres): each one's rollback set.
	TenantMigrations string       `json:"tenant_migrations_folder,omitempty"`
	TenantUntracked  []Migration  `json:"tenant_untracked,omitempty"`
	Tenants          []TenantPlan `json:"tenants,omitempty"`
	TenantNotes      []string     `json:"tenant_notes,omitempty"`
	// Holders are other processes with the database file open (a dev
	// server, iex): restores reach them, their write locks make regen wait.
	Holders []string `json:"db_holders,omitempty"`
	// Keep forecasts what the keep_data step carries over (keepdata_plan.go).
	Keep *KeepForecast `json:"keep_data,omitempty"`
	// Issue 13 (phantoms.go): the orphans with where their files are
	// (status), and applied migrations edited since they were applied.
	Phantoms                 []Phantom         `json:"phantoms,omitempty"`
	TenantPhantoms           []Phantom         `json:"tenant_phantoms,omitempty"`
	EditedAfterApplied       []EditedMigration `json:"edited_after_applied,omitempty"`
	TenantEditedAfterApplied []EditedMigration `json:"tenant_edited_after_applied,omitempty"`
	TenantFiles              []int64           `json:"-"` // versions with a tenant migration file
}

var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]*$`) })

// ValidateName checks a migration name the way Ecto and Ash will use it: a
// snake_case slug that becomes a module name. CamelCase is refused with the
// snake_case spelling suggested rather than silently changed.
func ValidateName(name string) error {
	switch {
	case name == "":
		return &InputError{What: "the migration name is empty.", Next: "Run `regen NAME`, e.g. `regen add_tags -m`."}
	case len(name) > 120:
		return &InputError{What: fmt.Sprintf("the migration name is %d characters long; at most 120 keep file names portable.", len(name)), Next: "Choose a shorter snake_case name."}
	case strings.HasPrefix(name, "-"):
		return &InputError{What: fmt.Sprintf("%q looks like a flag, not a name.", name), Next: "Migration names are snake_case and cannot start with -: put the name first, e.g. `regen add_tags -m`."}
	case !namePattern().MatchString(name):
		suggestion := snapshots.SnakeCase(name)
		next := "Use lowercase letters, digits and underscores, starting with a letter."
		if suggestion != "" && namePattern().MatchString(suggestion) {
			next = fmt.Sprintf("Did you mean `%s`?", suggestion)
		}
		return &InputError{What: fmt.Sprintf("%q is not a snake_case migration name.", name), Next: next}
	case strings.Contains(name, "__") || strings.HasSuffix(name, "_"):
		return &InputError{What: fmt.Sprintf("%q has a doubled or trailing underscore; its module name would not read back as the same file name.", name), Next: "Use single underscores between words."}
	}
	return nil
}

// project holds what the plan reads: the config, the git repository and the
// databases.
type workspace struct {
	cfg    *project.Config
	git    *gitops.Repo
	prefix string // project root relative to the git top ("" when equal)
	dbs    []database
	base   string // merge-base commit with --base ("" without)
	hasher *fileHasher
	// storeProblem: regen's store could not be used (phantoms.go), said once.
	storeProblem string
	// storeReadOnly: a run is open (live, or interrupted): status writes
	// nothing under the state dir, regen's store included.
	storeReadOnly bool
}

func (p *workspace) gitPath(rel string) string {
	if p.prefix == "" {
		return rel
	}
	return path.Join(p.prefix, rel)
}

func (p *workspace) projectPath(gitRel string) string {
	if p.prefix == "" {
		return gitRel
	}
	return strings.TrimPrefix(gitRel, p.prefix+"/")
}

func (p *workspace) gitPaths(folders []string) []string {
	out := make([]string, len(folders))
	for i, f := range folders {
		out[i] = p.gitPath(f)
	}
	return out
}

// plan reads git and the databases; it changes nothing.
func (p *workspace) plan(ctx context.Context, name string, migrate, force bool) (*Plan, error) {
	pl := &Plan{Name: name, Migrate: migrate, Force: force}
	backend, reason := p.git.Backend()
	pl.Git = backend
	if reason != "" {
		pl.Git += " (" + reason + ")"
	}
	if why := p.git.FromEnv(); why != "" {
		pl.Git += fmt.Sprintf("; repository %s, work tree %s, as git locates them with %s", p.git.GitDir, p.git.Root, why)
	}
	startHolders, holders := p.holdersAsync()
	for i, r := range p.cfg.Repos {
		rp, err := p.planRepo(ctx, r, p.dbs[i], startHolders)
		if err != nil {
			holders()
			return nil, err
		}
		pl.Repos = append(pl.Repos, *rp)
	}
	for i, hs := range holders() {
		pl.Repos[i].Holders = hs
	}
	if name != "" {
		if err := p.checkNameUnused(pl, name); err != nil {
			return nil, err
		}
	}
	var blocked []string
	for i := range pl.Repos {
		rp := &pl.Repos[i]
		rp.migrateProblems(migrate)
		for _, tp := range rp.Tenants {
			if len(tp.BlockedBy) > 0 {
				blocked = append(blocked, fmt.Sprintf("tenant %s: tracked tenant migrations %v applied after the untracked ones", tp.Prefix, tp.BlockedBy))
			}
		}
		if len(rp.BlockedBy) == 0 {
			continue
		}
		if force {
			rp.Reapply = rp.BlockedBy
			rp.Rollback = append(rp.Rollback, rp.BlockedBy...)
			sortMigrations(rp.Rollback)
			rp.BlockedBy = nil
			rp.neededProblems()
			continue
		}
		for _, m := range rp.BlockedBy {
			blocked = append(blocked, fmt.Sprintf("%s (tracked, applied)", m.Path))
		}
	}
	if len(blocked) > 0 {
		pl.Blocked = "tracked migrations were applied after the untracked ones this run would roll back:\n  - " +
			strings.Join(blocked, "\n  - ") +
			"\nRolling back only the untracked ones is not possible in order; rolling back these too would touch migrations git tracks."
	}
	return pl, nil
}

// read is called once git and the database are read (see holdersAsync).
func (p *workspace) planRepo(ctx context.Context, r project.RepoConfig, db database, read func()) (*RepoPlan, error) {
	rp := &RepoPlan{Name: r.Name, Database: db.String(), Migrations: r.Migrations, Snapshots: r.Snapshots, TenantMigrations: r.TenantMigrations}
	folders := r.Folders()
	var tenantUntracked, tenantTracked []Migration
	gitFolders := p.gitPaths(folders)

	now := time.Now() // before the scan's stats (rememberApplied)
	scan, applied, gitErr, err := p.readRepoState(ctx, gitFolders, db)
	read()
	if gitErr != nil {
		return nil, fmt.Errorf("git: %w", gitErr)
	}
	untracked, tracked, changed, ignored := scan.Untracked, scan.Tracked, scan.Changed, scan.Ignored
	if err != nil {
		return nil, &InputError{What: fmt.Sprintf("cannot read the applied migrations of repo %q from %s: %v", r.Name, db, err), Next: db.ReadHint(err)}
	}
	rp.Applied = applied
	isApplied := make(map[int64]bool, len(applied))
	for _, v := range applied {
		isApplied[v] = true
	}
	withFile := make(map[int64]bool, len(tracked)+len(untracked))
	rp.Tracked = make([]Migration, 0, len(tracked))

	added := map[string]bool{}
	if p.base != "" {
		a, err := p.git.AddedSince(p.base, gitFolders)
		if err != nil {
			return nil, fmt.Errorf("git: %w", err)
		}
		for _, g := range a {
			added[p.projectPath(g)] = true
		}
		if rp.RestoreBase, err = p.changedSinceBase(r.Snapshots, tracked); err != nil {
			return nil, err
		}
	}

	for _, g := range tracked {
		rel := p.projectPath(g)
		if added[rel] {
			// Committed on this branch since the merge base: regenerated
			// like an untracked one. Its content stays in git history.
			if m, ok := migrationAt(rel, r.Migrations); ok && isRegular(p.cfg.Root, rel) {
				m.Applied, m.Committed = isApplied[m.Version], true
				rp.Untracked = append(rp.Untracked, m)
				rp.Remove = append(rp.Remove, rel)
				withFile[m.Version] = true
			} else if m, ok := migrationAt(rel, r.TenantMigrations); ok && r.TenantMigrations != "" && isRegular(p.cfg.Root, rel) {
				m.Committed = true
				tenantUntracked = append(tenantUntracked, m)
				rp.Remove = append(rp.Remove, rel)
			} else if isSnapshotFile(rel, r.Snapshots) && isRegular(p.cfg.Root, rel) {
				rp.Remove = append(rp.Remove, rel)
			}
			continue
		}
		if m, ok := migrationAt(rel, r.Migrations); ok {
			m.Applied = isApplied[m.Version]
			rp.Tracked = append(rp.Tracked, m)
			withFile[m.Version] = true
		} else if m, ok := migrationAt(rel, r.TenantMigrations); ok && r.TenantMigrations != "" {
			tenantTracked = append(tenantTracked, m)
		}
	}
	for _, g := range untracked {
		rel := p.projectPath(g)
		switch {
		case r.TenantMigrations != "" && under(rel, r.TenantMigrations):
			if m, ok := migrationAt(rel, r.TenantMigrations); ok && isRegular(p.cfg.Root, rel) {
				tenantUntracked = append(tenantUntracked, m)
				rp.Remove = append(rp.Remove, rel)
			} else {
				rp.Stray = append(rp.Stray, rel)
			}
		case under(rel, r.Migrations):
			if m, ok := migrationAt(rel, r.Migrations); ok && isRegular(p.cfg.Root, rel) {
				m.Applied = isApplied[m.Version]
				rp.Untracked = append(rp.Untracked, m)
				rp.Remove = append(rp.Remove, rel)
				withFile[m.Version] = true
				if m.Dev {
					rp.DevFiles = append(rp.DevFiles, rel)
				}
			} else {
				rp.Stray = append(rp.Stray, rel)
			}
		case under(rel, r.Snapshots):
			if isSnapshotFile(rel, r.Snapshots) && isRegular(p.cfg.Root, rel) {
				rp.Remove = append(rp.Remove, rel)
				if strings.HasSuffix(rel, "_dev.json") {
					rp.DevFiles = append(rp.DevFiles, rel)
				}
			} else {
				rp.Stray = append(rp.Stray, rel)
			}
		}
	}
	for _, c := range changed {
		rel := p.projectPath(c.Path)
		if c.Staged {
			continue // index vs HEAD: staged work is the user's; the index is the baseline
		}
		switch {
		case isSnapshotFile(rel, r.Snapshots):
			// Only generated files: a tracked note under the folder is the
			// user's, never put back to the index.
			rp.RestoreTracked = append(rp.RestoreTracked, rel)
		case under(rel, r.Migrations) && c.Kind != gitops.Deleted: // deleted ones are problems
			rp.ChangedMigrations = append(rp.ChangedMigrations, rel)
		}
	}
	for _, g := range ignored {
		rp.Ignored = append(rp.Ignored, p.projectPath(g))
	}
	if rp.StagedNew, err = p.stagedNew(r, gitFolders, changed); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	for _, v := range applied {
		if !withFile[v] {
			rp.Orphans = append(rp.Orphans, v)
		}
	}
	sortMigrations(rp.Untracked)
	sortMigrations(rp.Tracked)
	for _, m := range rp.Untracked {
		if m.Applied {
			rp.Rollback = append(rp.Rollback, m)
		}
	}
	if len(rp.Rollback) > 0 {
		lowest := rp.Rollback[0].Version
		for _, m := range rp.Tracked {
			if m.Applied && m.Version > lowest {
				rp.BlockedBy = append(rp.BlockedBy, m)
			}
		}
		rp.BlockedBy, rp.BaseAfter = p.splitBaseAfter(rp.BlockedBy)
	}
	if r.TenantMigrations != "" {
		sortMigrations(tenantUntracked)
		if err := p.planTenants(ctx, r, db, rp, tenantUntracked, tenantTracked); err != nil {
			return nil, err
		}
	}
	tenantFiles := append(append([]Migration{}, tenantTracked...), tenantUntracked...)
	for _, m := range tenantFiles {
		rp.TenantFiles = append(rp.TenantFiles, m.Version)
	}
	// The store's visit and the file checks read the plan so far and write
	// apart (EditedAfterApplied and storeProblem; Problems): side by side.
	remembered := make(chan struct{})
	go func() {
		defer close(remembered)
		p.rememberApplied(r, rp, tenantFiles, db.AppliedStamps(), scan, now, isApplied)
	}()
	sort.Strings(rp.Remove)
	sort.Strings(rp.RestoreTracked)
	sort.Strings(rp.Stray)
	p.fileProblems(r, rp, scan, isApplied)
	<-remembered
	return rp, nil
}

func sortMigrations(ms []Migration) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
}

func migrationAt(rel, folder string) (Migration, bool) {
	dir, base := path.Split(rel)
	if strings.TrimSuffix(dir, "/") != folder {
		return Migration{}, false // only files directly in the folder are migrations
	}
	v, slug, ok := snapshots.ParseMigrationName(base)
	if !ok {
		return Migration{}, false
	}
	return Migration{Version: v, Slug: slug, Path: rel, Dev: snapshots.IsDevMigration(base)}, true
}

// isSnapshotFile is snapshots.InFolder, the rule `regen check` uses too.
func isSnapshotFile(rel, folder string) bool {
	_, ok := snapshots.InFolder(rel, folder)
	return ok
}

// checkNameUnused refuses a name whose module a kept migration already uses:
// Ecto would refuse to load two modules of the same name.
func (p *workspace) checkNameUnused(pl *Plan, name string) error {
	want := snapshots.MigrationModuleSuffix(name)
	for _, rp := range pl.Repos {
		for _, m := range rp.Tracked {
			if snapshots.MigrationModuleSuffix(m.Slug) == want && !inMigrations(rp.Reapply, m) {
				return &InputError{
					What: fmt.Sprintf("the name %q is already used by the tracked migration %s (module …Migrations.%s); Ecto cannot load two migrations with one module name.", name, m.Path, want),
					Next: "Choose another name.",
				}
			}
		}
	}
	return nil
}

func inMigrations(ms []Migration, m Migration) bool {
	for _, x := range ms {
		if x.Path == m.Path {
			return true
		}
	}
	return false
}

// predict fills in, per repo, the rollback strategy a run would take and,
// for a rebuild, what it would drop (read from the rolled-back migrations;
// row counts from the database, read-only).
func (p *workspace) predict(ctx context.Context, pl *Plan, strategy Strategy) {
	for i := range pl.Repos {
		rp := &pl.Repos[i]
		_, canRebuild := p.dbs[i].Rebuilder()
		s := strategy
		if !canRebuild {
			s = StrategyDown // no rebuild: a failing down rolls back in its transaction
		}
		rows := p.rowsForPlan(ctx, p.dbs[i], rp)
		predictRollback(p.cfg.Root, rp, s, rows)
		predictForceDrops(p.cfg.Root, rp, rows, p.cfg.KeepData)
		p.forecastKeep(ctx, p.dbs[i], pl, rp, rows) // keepdata_plan.go
		rp.strategyProblems(strategy, canRebuild)
		rp.rebuildProblems()
	}
}

// changedSinceBase lists tracked snapshot-folder files that the merge base
// has with other content, or that were deleted since it: codegen must see
// the snapshots as the base has them.
func (p *workspace) changedSinceBase(snapshots string, tracked []string) ([]string, error) {
	atBase, err := p.git.FilesAt(p.base, []string{p.gitPath(snapshots)})
	if err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	now := map[string]bool{}
	for _, g := range tracked {
		now[g] = true
	}
	var out []string
	for _, g := range atBase {
		if !now[g] {
			out = append(out, p.projectPath(g))
			continue
		}
		baseData, _, err := p.git.BlobAt(p.base, g)
		if err != nil {
			return nil, err
		}
		cur, _, err := p.git.IndexBlob(g)
		if err != nil {
			return nil, err
		}
		if string(baseData) != string(cur) {
			out = append(out, p.projectPath(g))
		}
	}
	return out, nil
}

// Empty tells whether the plan would change nothing but run codegen.
func (rp *RepoPlan) Empty() bool {
	return len(rp.Rollback) == 0 && len(rp.Remove) == 0 && len(rp.RestoreTracked) == 0 && len(rp.RestoreBase) == 0
}

func versions(ms []Migration) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Version
	}
	return out
}
