package check

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/snapshots"
)

// checkMigration is one well-formed migration file.
type checkMigration struct {
	repo    project.RepoConfig
	path    string // project-relative
	version int64
	slug    string
}

// migrations returns the well-formed migrations of a repo, sorted by path.
func (cr checkRepo) wellFormed() []checkMigration {
	var out []checkMigration
	for _, rel := range cr.migrations {
		if v, slug, ok := snapshots.ParseMigrationName(path.Base(rel)); ok {
			out = append(out, checkMigration{repo: cr.cfg, path: rel, version: v, slug: slug})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

const squashFix = "Squash the dev work into one named migration: run `regen NAME` (or `mix ash.codegen NAME`), which replaces the _dev migrations and snapshots."

// staticFindings: names, versions, modules, _dev files, snapshots.
func (in *checkInput) staticFindings() []Finding {
	var out []Finding
	for _, cr := range in.repos {
		out = append(out, migrationNameFindings(cr)...)
		out = append(out, in.snapshotFindings(cr)...)
	}
	return out
}

func migrationNameFindings(cr checkRepo) []Finding {
	var out []Finding
	for _, rel := range cr.migrations {
		base := path.Base(rel)
		if snapshots.IsMigrationName(base) {
			if snapshots.IsDevMigration(base) {
				out = append(out, newCheckFinding(RuleDevFile, rel, 0,
					"a `--dev` migration: `ash.codegen --check` does not see it when the resources match, so it would be committed as is.", squashFix))
			}
			continue
		}
		if suggestion, almost := almostMigration(base); almost {
			fix := "Rename it to the form <14-digit UTC timestamp>_<snake_case_name>.exs"
			if suggestion != "" {
				fix = fmt.Sprintf("Rename it to %s", path.Join(cr.cfg.Migrations, suggestion))
			}
			fix += " (if it is applied, roll it back first: its version is its name)."
			out = append(out, newCheckFinding(RuleMigrationName, rel, 0,
				fmt.Sprintf("%q looks like a migration but is not named ^\\d{14}_[a-z0-9_]+\\.exs$: Ash's generator and regen do not count it as one.", base), fix))
		}
	}
	ms := cr.wellFormed()
	byVersion := map[int64]string{}
	byModule := map[string]string{}
	for _, m := range ms {
		if first, dup := byVersion[m.version]; dup {
			out = append(out, newCheckFinding(RuleDuplicateVersion, m.path, 0,
				fmt.Sprintf("version %d is also the version of %s: Ecto refuses to run two migrations with one version.", m.version, first),
				"Regenerate this one under a new timestamp (`regen NAME`), or rename it to a timestamp newer than every migration."))
		} else {
			byVersion[m.version] = m.path
		}
		mod := snapshots.MigrationModuleSuffix(m.slug)
		if first, dup := byModule[mod]; dup {
			out = append(out, newCheckFinding(RuleDuplicateModule, m.path, 0,
				fmt.Sprintf("its module …Migrations.%s is also defined by %s: the migrations do not compile together.", mod, first),
				"Give one of them another name (regenerate it with `regen OTHER_NAME`, or rename the file and its module)."))
		} else {
			byModule[mod] = m.path
		}
	}
	return out
}

// almostMigration recognises a file meant as a migration but misnamed (a
// leading number: wrong digit count, CamelCase or dashes in the name, .ex)
// and suggests the well-formed name ("" when none can be derived).
func almostMigration(base string) (suggestion string, almost bool) {
	digits := 0
	for digits < len(base) && base[digits] >= '0' && base[digits] <= '9' {
		digits++
	}
	if digits == 0 || snapshots.IsMigrationName(base) {
		return "", false
	}
	version := base[:digits]
	switch len(version) {
	case 14:
	case 12: // yyyymmddhhmm: seconds left out
		version += "00"
	default:
		return "", true
	}
	rest := strings.TrimLeft(base[digits:], "_- ")
	for _, ext := range []string{".exs", ".ex"} {
		if strings.HasSuffix(rest, ext) {
			rest = strings.TrimSuffix(rest, ext)
			break
		}
	}
	slug := snapshots.SnakeCase(rest)
	if slug == "" {
		return "", true
	}
	return version + "_" + slug + ".exs", true
}

func (in *checkInput) snapshotFindings(cr checkRepo) []Finding {
	var out []Finding
	for _, rel := range cr.snapshots {
		f, ok := snapshots.InFolder(rel, cr.cfg.Snapshots)
		if !ok || f.Kind != snapshots.KindSnapshot {
			continue
		}
		if f.Dev {
			out = append(out, newCheckFinding(RuleDevFile, rel, 0,
				"a `--dev` snapshot: `ash.codegen --check` does not see it when the resources match, so it would be committed as is.", squashFix))
		}
		data, err := in.read(rel)
		if err != nil {
			out = append(out, newCheckFinding(RuleSnapshotParse, rel, 0, fmt.Sprintf("cannot read it: %v", err), "Restore it from git or regenerate it."))
			continue
		}
		snap, err := snapshots.Parse(data)
		if err != nil {
			out = append(out, newCheckFinding(RuleSnapshotParse, rel, 0,
				fmt.Sprintf("not a valid resource snapshot: %v.", err),
				fmt.Sprintf("Restore it (`git checkout -- %s`), or delete it and regenerate with `regen NAME`.", rel)))
			continue
		}
		wantFolder := snap.Table
		if snap.Schema != nil && *snap.Schema != "" && f.Schema != "" {
			wantFolder = *snap.Schema + "." + snap.Table
		}
		folderSchemaOK := f.Schema == "" || snap.Schema == nil || *snap.Schema == f.Schema
		if snap.Table != f.Table || !folderSchemaOK {
			dest := path.Join(cr.cfg.Snapshots, path.Dir(strings.TrimPrefix(rel, cr.cfg.Snapshots+"/")))
			dest = path.Join(path.Dir(dest), wantFolder)
			out = append(out, newCheckFinding(RuleSnapshotFolder, rel, 0,
				fmt.Sprintf("its table is %q but it sits in the folder of %q: Ash reads each table's snapshots from that table's folder.", snap.Table, path.Base(path.Dir(rel))),
				fmt.Sprintf("Move it to %s/, or regenerate it with `regen NAME`.", dest)))
		}
	}
	return out
}
