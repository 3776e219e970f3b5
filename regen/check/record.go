package check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/regen-tool/regen/migrator/fsatomic"
)

// The record of the last clean codegen check: a hash of everything the
// codegen check's result depends on, so that a check over the same inputs
// (a repeated commit attempt, a hook after an unrelated edit) skips the
// mix start. Anything it cannot vouch for (an unreadable file) means no
// record: the check runs.
//
// What is hashed (content, sha256): mix.exs, mix.lock, tool-version
// files, .regen.toml, everything under config/ and the compiled sources
// (elixirc_paths, all environments: sources.go), the --codegen-paths,
// every repo's migrations and snapshots folders (for an umbrella root also
// apps/*/{mix.exs,config} and each app's sources); by size and mtime:
// every file under deps/; the Elixir/OTP versions mix recorded in
// _build/<env>/lib/*/.mix/compile.elixir_scm; the mix, elixir and erl
// executables and regen's own (path, size, mtime), and the version
// managers' files that pick them (above the project, in HOME); the MIX_*,
// REGEN_*, ERL_*, ELIXIR_*, HEX_*, ASDF_*, MISE_*, RTX_* and KERL_*
// variables mix starts with, and every variable
// the hashed Elixir reads by name (envrefs.go); the files mix.exs and
// config read, and the sources' @external_resource (filerefs.go); root
// .env* files; the command, the
// mode (--staged or the work tree). It is the work tree that is hashed in
// both modes: the codegen check compiles and reads the work tree.

// recordFormat changes whenever what is hashed changes: an older record
// then never matches.
const recordFormat = "regen check-clean v3"

// mixProjectOf is the folder of the mix project a hashed file belongs
// to, where mix runs its code: an umbrella's apps/NAME, else the root.
func mixProjectOf(rel string, umbrella bool) string {
	if parts := strings.SplitN(rel, "/", 3); umbrella && len(parts) == 3 && parts[0] == "apps" {
		return "apps/" + parts[1]
	}
	return ""
}

// recordFile is the record's place under the git directory.
func recordFile(gitDir string) string { return filepath.Join(gitDir, "regen", "check-clean") }

// checkInputsKey is the hashed inputs of one codegen check: sources (what
// the user edits) and build (what mix itself writes while checking, like
// the Elixir version in _build).
type checkInputsKey struct {
	sources, build string
}

func (k checkInputsKey) key() string { return k.sources + "+" + k.build }

// inputsKey hashes what the codegen check argv depends on. An error means
// it cannot vouch for the inputs.
func (c *checker) inputsKey(opts Options, argv []string) (checkInputsKey, error) {
	cfg := c.v.Config()
	root := cfg.Root
	src := sha256.New()
	line := func(format string, a ...any) { fmt.Fprintf(src, format+"\n", a...) }
	line("%s", recordFormat)
	mode := "worktree"
	if opts.Staged {
		mode = "staged"
	}
	line("mode %s", mode)
	line("command %q", argv)
	line("codegen-paths %q", opts.CodegenPaths)
	env := c.v.MixEnviron()
	for _, kv := range keyedEnv(env) {
		line("env %q", kv)
	}
	exe, err := os.Executable()
	if err != nil {
		return checkInputsKey{}, fmt.Errorf("regen's own executable: %w", err)
	}
	line("regen %s", executableStamp(exe))
	for _, name := range []string{argv[0], "elixir", "erl"} {
		line("exe %s %s", name, lookStamp(name, envValue(env, "PATH")))
	}
	// A version manager's shim is the same file whatever version it picks:
	// what picks it (its files above the project and in HOME) is hashed.
	for _, f := range versionManagerFiles(root, envValue(env, "HOME")) {
		sum, _, err := contentStamp(f)
		if err != nil {
			return checkInputsKey{}, err
		}
		line("picks %q %s", f, sum)
	}

	files := map[string]bool{}
	add := func(rel string) { files[rel] = true }
	for _, f := range []string{"mix.exs", "mix.lock", ".tool-versions", ".mise.toml", "mise.toml", ".elixir-version", ".erlang-version"} {
		add(f)
	}
	// Files a config may load its variables from (Dotenvy, direnv).
	dotenv, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(root), ".env*"))
	for _, f := range dotenv {
		if fi, err := os.Lstat(f); err == nil && !fi.IsDir() {
			add(filepath.Base(f))
		}
	}
	if cfg.File != "" {
		if rel, err := filepath.Rel(root, cfg.File); err == nil && !strings.HasPrefix(rel, "..") {
			add(filepath.ToSlash(rel))
		}
	}
	sources := readProjectSources(root, cfg.Umbrella)
	if sources.Unknown != "" {
		return checkInputsKey{}, fmt.Errorf("%s sets elixirc_paths to a value regen cannot read, so the record cannot tell which sources to hash", sources.Unknown)
	}
	if sources.Outside != "" {
		return checkInputsKey{}, fmt.Errorf("%s, outside the project, whose sources the record does not hash", sources.Outside)
	}
	folders := append([]string{"config"}, sources.Paths...)
	if cfg.Umbrella {
		apps, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(root), "apps", "*", "mix.exs"))
		for _, m := range apps {
			app, _ := filepath.Rel(root, filepath.Dir(m))
			app = filepath.ToSlash(app)
			add(app + "/mix.exs")
			folders = append(folders, app+"/config")
		}
	}
	for _, r := range cfg.Repos {
		folders = append(folders, r.Folders()...)
	}
	for _, f := range folders {
		if err := walkFiles(root, f, add); err != nil {
			return checkInputsKey{}, err
		}
	}
	for _, g := range opts.CodegenPaths {
		err := walkFiles(root, checkGlobRoot(g), func(rel string) {
			if checkGlobMatch(g, rel) {
				add(rel)
			}
		})
		if err != nil {
			return checkInputsKey{}, err
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var refs envRefs
	var reads fileRefs
	for _, rel := range paths {
		sum, data, err := contentStamp(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return checkInputsKey{}, err
		}
		line("file %q %s", rel, sum)
		if strings.HasSuffix(rel, ".ex") || strings.HasSuffix(rel, ".exs") {
			refs.scan(rel, data)
			reads.scan(rel, mixProjectOf(rel, cfg.Umbrella), data)
		}
	}
	if refs.dynamic != "" {
		return checkInputsKey{}, fmt.Errorf("%s reads an environment variable whose name is computed, so the record cannot tell which variables to compare", refs.dynamic)
	}
	if reads.unknown != "" {
		return checkInputsKey{}, errors.New(reads.unknown)
	}
	for _, rel := range reads.sorted() {
		if files[rel] {
			continue // hashed above
		}
		sum, _, err := contentStamp(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return checkInputsKey{}, err
		}
		line("reads %q %s", rel, sum)
	}
	for _, name := range refs.sorted() {
		// What config/*.exs, mix.exs or a source reads from the
		// environment decides what compiles: a DATABASE_URL or a feature
		// flag set differently is another input.
		v, set := envLookup(env, name)
		line("getenv %q %v %q", name, set, v)
	}
	var linked error
	if err := statTree(root, "deps", func(rel string, fi fs.FileInfo) {
		if fi.Mode()&fs.ModeSymlink != 0 {
			if t, err := os.Stat(filepath.Join(root, rel)); err == nil && t.IsDir() {
				linked = fmt.Errorf("%s links to a folder, whose files the record does not follow", rel)
			}
		}
		line("dep %q %d %d", rel, fi.Size(), fi.ModTime().UnixNano())
	}); err != nil {
		return checkInputsKey{}, err
	}
	if linked != nil {
		return checkInputsKey{}, linked
	}
	if err := pathDeps(root, cfg.Umbrella); err != nil {
		return checkInputsKey{}, err
	}

	build := sha256.New()
	buildEnv := envValue(env, "MIX_ENV")
	if buildEnv == "" {
		buildEnv = "dev"
	}
	scms, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(filepath.Join(root, "_build", buildEnv, "lib")), "*", ".mix", "compile.elixir_scm"))
	sort.Strings(scms)
	for _, p := range scms {
		sum, _, err := contentStamp(p)
		if err != nil {
			return checkInputsKey{}, err
		}
		fmt.Fprintf(build, "scm %q %s\n", filepath.Base(filepath.Dir(filepath.Dir(p))), sum)
	}
	return checkInputsKey{sources: hex.EncodeToString(src.Sum(nil)), build: hex.EncodeToString(build.Sum(nil))}, nil
}

var appRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`app:\s*:"?([A-Za-z0-9_]+)`) })

// pathDeps refuses to vouch for a project that compiles a dependency from
// outside deps/ (`path: "../shared"`): its sources are not hashed. Such a
// dependency shows as a folder in _build/*/lib that is neither in deps/
// nor the project's own app (an umbrella's apps included).
func pathDeps(root string, umbrella bool) error {
	own := map[string]bool{}
	mixFiles := []string{filepath.Join(root, "mix.exs")}
	if umbrella {
		apps, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(root), "apps", "*", "mix.exs"))
		mixFiles = append(mixFiles, apps...)
	}
	for _, m := range mixFiles {
		if data, err := os.ReadFile(m); err == nil {
			if sub := appRe().FindSubmatch(data); sub != nil {
				own[string(sub[1])] = true
			}
		}
	}
	built, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(root), "_build", "*", "lib", "*"))
	for _, b := range built {
		name := filepath.Base(b)
		if own[name] {
			continue
		}
		if _, err := os.Lstat(filepath.Join(root, "deps", name)); err == nil {
			continue
		}
		return fmt.Errorf("%s is built from outside deps/ (a path dependency?), whose sources the record does not hash", name)
	}
	return nil
}

// versionManagerFiles are the files asdf and mise read to pick the Elixir
// and Erlang a shim runs, outside the project (its own are among the
// inputs): every folder above it, then HOME's.
func versionManagerFiles(root, home string) []string {
	names := []string{".tool-versions", ".mise.toml", "mise.toml", ".mise.local.toml", "mise.local.toml"}
	var out []string
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if home != "" {
		out = append(out, filepath.Join(home, ".tool-versions"), filepath.Join(home, ".config", "mise", "config.toml"))
	}
	return out
}

// keyedEnv: the variables of mix, regen, Erlang, Elixir, Hex and the
// version managers (asdf, mise, kerl), sorted.
func keyedEnv(env []string) []string {
	seen := map[string]string{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		for _, p := range []string{"MIX_", "REGEN_", "ERL_", "ELIXIR_", "HEX_", "ASDF_", "MISE_", "RTX_", "KERL_"} {
			if strings.HasPrefix(k, p) {
				seen[k] = kv // later entries win, as in the child
			}
		}
	}
	out := make([]string, 0, len(seen))
	for _, kv := range seen {
		out = append(out, kv)
	}
	sort.Strings(out)
	return out
}

// envLookup is the child's value of key and whether it is set.
func envLookup(env []string, key string) (string, bool) {
	v, set := "", false
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v, set = val, true
		}
	}
	return v, set
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// lookStamp finds an executable as the child would (PATH) and stamps it.
func lookStamp(name, path string) string {
	p := name
	if !strings.Contains(name, "/") {
		for _, dir := range filepath.SplitList(path) {
			if dir == "" {
				dir = "."
			}
			c := filepath.Join(dir, name)
			if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				p = c
				break
			}
		}
	}
	return executableStamp(p)
}

// executableStamp names an executable by its resolved path, size and
// mtime ("absent" when it is not there).
func executableStamp(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Sprintf("%q absent", p)
	}
	return fmt.Sprintf("%q %d %d", p, fi.Size(), fi.ModTime().UnixNano())
}

// contentStamp is a file's sha256, "absent" for a missing one and
// "link <target> <sha256>" for a symlink to a file (never followed to a
// folder), with the content it hashed (nil when none).
func contentStamp(p string) (string, []byte, error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "absent", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		// mix compiles through links: a linked file counts by its content,
		// a linked folder's content is not walked, so it cannot vouch.
		t, err := os.Readlink(p)
		if err != nil {
			return "", nil, err
		}
		target, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "link " + t + " dangling", nil, nil
		case err != nil:
			return "", nil, err
		case target.IsDir():
			return "", nil, fmt.Errorf("%s links to a folder (%s), whose files the record does not follow", p, t)
		}
		sum, data, err := fileSum(p)
		return "link " + t + " " + sum, data, err
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%s is not a regular file", p)
	}
	return fileSum(p)
}

// fileSum is the sha256 of a file's content, and the content (the inputs
// are sources: small).
func fileSum(p string) (string, []byte, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), data, nil
}

// walkFiles calls add with the project path of every file (or symlink)
// under folder; a missing folder has none.
func walkFiles(root, folder string, add func(rel string)) error {
	return statTree(root, folder, func(rel string, _ fs.FileInfo) { add(rel) })
}

// statTree walks a project folder without following links, calling fn for
// every entry that is not a folder.
func statTree(root, folder string, fn func(rel string, fi fs.FileInfo)) error {
	base := filepath.Join(root, filepath.FromSlash(folder))
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == base {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fn(filepath.ToSlash(rel), fi)
		return nil
	})
	return err
}

// cleanRecord is a loaded record.
type cleanRecord struct {
	key string
	at  time.Time
}

func readRecord(gitDir string) (cleanRecord, bool) {
	data, err := os.ReadFile(recordFile(gitDir))
	if err != nil {
		return cleanRecord{}, false
	}
	var r cleanRecord
	lines := strings.Split(string(data), "\n")
	if len(lines) < 3 || lines[0] != recordFormat {
		return cleanRecord{}, false
	}
	key, ok1 := strings.CutPrefix(lines[1], "key ")
	at, ok2 := strings.CutPrefix(lines[2], "at ")
	t, err := time.Parse(time.RFC3339, at)
	if !ok1 || !ok2 || err != nil || key == "" {
		return cleanRecord{}, false
	}
	r.key, r.at = key, t
	return r, true
}

func writeRecord(gitDir, key string, now time.Time) error {
	dir := filepath.Dir(recordFile(gitDir))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data := fmt.Sprintf("%s\nkey %s\nat %s\n", recordFormat, key, now.UTC().Format(time.RFC3339))
	return fsatomic.WriteFile(recordFile(gitDir), []byte(data), 0o600)
}

// codegenChecked is the codegen check with its record: skipped, with a
// note, when the inputs hash to the last clean check's; else run, and
// recorded when clean and the inputs did not change while it ran (what
// mix itself wrote under _build aside).
func (c *checker) codegenChecked(ctx context.Context, opts Options) (fs []Finding, compiled bool, note string, err error) {
	cfg := c.v.Config()
	command := opts.CodegenCommand
	if command == nil {
		command = cfg.Check // [commands] check in .regen.toml
	}
	argv := codegenArgv(cfg, command)
	gitDir := c.v.GitDir()
	before, keyErr := c.inputsKey(opts, argv)
	if keyErr == nil && !opts.Fresh {
		if rec, ok := readRecord(gitDir); ok && rec.key == before.key() {
			return nil, true, "codegen check skipped: its inputs are those of the clean check at " + rec.at.Local().Format("2006-01-02 15:04:05") + " (--fresh runs it)", nil
		}
	}
	fs, compiled, err = c.codegenFindings(ctx, argv)
	if err != nil || !compiled || len(fs) != 0 {
		return fs, compiled, "", err
	}
	if keyErr != nil {
		// Said, so that a hook that never skips tells why.
		return fs, compiled, "the clean codegen check is not recorded (the next one runs too): " + keyErr.Error(), nil
	}
	after, err := c.inputsKey(opts, argv)
	if err != nil || after.sources != before.sources {
		return fs, compiled, "", nil // changed while mix ran: not vouched for
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if err := writeRecord(gitDir, after.key(), now()); err != nil {
		return fs, compiled, fmt.Sprintf("could not record the clean codegen check (%v): the next check runs it again", err), nil
	}
	return fs, compiled, "", nil
}
