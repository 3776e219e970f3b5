package main

// Ash resources: finding them under lib/, "compiling" them (a do/end balance
// check plus an explicit marker) and reading the DSL subset that matters for
// AshSqlite snapshots.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

type resource struct {
	file   string // relative path
	module string
	table  string
	repo   string
	attrs  []attribute
	belong []belongsTo
	tenant bool // multitenancy strategy :context (AshPostgres)
}

type attribute struct {
	name      string
	ashType   string // snapshot type: text, bigint, uuid...
	allowNil  bool
	pk        bool
	generated bool
	dflt      string // Elixir literal for the migration, "" when none
}

type belongsTo struct {
	name     string
	dest     string // destination module
	allowNil bool
	attrType string // explicit attribute_type, "" = destination pk type
}

// compileError is shaped like Elixir's so that output readers see the same.
type compileError struct {
	file string
	line int
	msg  string
}

func (e *compileError) Error() string {
	return fmt.Sprintf("\n== Compilation error in file %s ==\n** (CompileError) %s:%d: %s", e.file, e.file, e.line, e.msg)
}

const compileErrorMarker = "# mixsim: compile_error"

// libFiles lists the .ex files the stand-in reads resources from,
// relative to root, sorted: under lib/ and under the paths of a literal
// `elixirc_paths: [...]` in mix.exs (the only form the stand-in reads; a
// path may be a file). lib/ always: the real-Elixir test projects narrow
// elixirc_paths so that real mix does not compile the stand-in's
// resources, which their tasks still read through the stand-in.
func libFiles(root string) ([]string, error) {
	var files []string
	for _, src := range compiledPaths(root) {
		err := filepath.WalkDir(filepath.Join(root, src), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".ex") {
				rel, _ := filepath.Rel(root, path)
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return slices.Compact(files), nil // a file under two listed paths is compiled once
}

var elixircPathsRe = regexp.MustCompile(`elixirc_paths:\s*\[([^\]]*)\]`)

// compiledPaths: lib and mix.exs's literal elixirc_paths.
func compiledPaths(root string) []string {
	paths := []string{"lib"}
	data, err := os.ReadFile(filepath.Join(root, "mix.exs"))
	if err != nil {
		return paths
	}
	m := elixircPathsRe.FindSubmatch(data)
	if m == nil {
		return paths
	}
	for _, q := range regexp.MustCompile(`"([^"]+)"`).FindAllSubmatch(m[1], -1) {
		paths = append(paths, string(q[1]))
	}
	return paths
}

// checkCompiles reports the first file that would not compile.
func checkCompiles(root string, files []string) error {
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return err
		}
		src := string(data)
		lines := strings.Split(src, "\n")
		for i, l := range lines {
			if strings.TrimSpace(l) == compileErrorMarker {
				return &compileError{f, i + 1, "mixsim: compile error requested by marker"}
			}
		}
		depth := 0
		for i, l := range strings.Split(stripStringsAndComments(src), "\n") {
			depth += blockDelta(l)
			if depth < 0 {
				return &compileError{f, i + 1, `unexpected reserved word: end`}
			}
		}
		if depth > 0 {
			return &compileError{f, len(lines), `missing terminator: end`}
		}
	}
	return nil
}

// compileManifest models Mix's incremental compile: it remembers a hash per
// lib file under _build so "Compiling N files" is printed only for changes.
func compileManifestPath(p *project) string {
	return filepath.Join(p.root, p.buildPrefix(), ".mixsim_compile_manifest")
}

func fileDigests(root string, files []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		out[f] = hex.EncodeToString(sum[:])
	}
	return out, nil
}

// staleCount compares lib files with the manifest; it returns the number of
// changed files and whether anything (including removals) changed.
func staleCount(p *project, digests map[string]string) (int, bool) {
	old := map[string]string{}
	data, err := os.ReadFile(compileManifestPath(p))
	if err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.SplitN(l, " ", 2); len(f) == 2 {
				old[f[1]] = f[0]
			}
		}
	}
	n := 0
	for f, d := range digests {
		if old[f] != d {
			n++
		}
	}
	changed := n > 0 || len(old) != len(digests) || err != nil
	return n, changed
}

func writeManifest(p *project, digests map[string]string) error {
	var keys []string
	for k := range digests {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s\n", digests[k], k)
	}
	path := compileManifestPath(p)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

var (
	reDefmodule = regexp.MustCompile(`(?m)^\s*defmodule\s+([A-Z][\w.]*)\s+do`)
	reTable     = regexp.MustCompile(`^table\s+"([^"]+)"`)
	reRepoLine  = regexp.MustCompile(`^repo\s+([A-Z][\w.]*)`)
)

// loadResources parses every AshSqlite resource under lib/.
func loadResources(p *project, files []string) ([]*resource, error) {
	var out []*resource
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(p.root, f))
		if err != nil {
			return nil, err
		}
		src := string(data)
		if !strings.Contains(src, "use Ash.Resource") || !strings.Contains(src, p.dataLayer()) {
			continue
		}
		r, err := parseResource(f, src)
		if err != nil {
			return nil, err
		}
		if r.repo == "" {
			r.repo = p.prefix + ".Repo"
		}
		out = append(out, r)
	}
	return out, nil
}

// dslBlock returns the logical lines inside `name do ... end` (top level of
// the block only; nested blocks are kept as single statements' lines).
func dslBlock(src, name string) []logicalLine {
	lines := strings.Split(src, "\n")
	stripped := strings.Split(stripStringsAndComments(src), "\n")
	for i, l := range stripped {
		if strings.TrimSpace(l) != name+" do" {
			continue
		}
		depth := 1
		for j := i + 1; j < len(lines); j++ {
			depth += blockDelta(stripped[j])
			if depth == 0 {
				return joinLogicalLines(strings.Join(lines[i+1:j], "\n"), i+2)
			}
		}
	}
	return nil
}

func parseResource(file, src string) (*resource, error) {
	r := &resource{file: file}
	if m := reDefmodule.FindStringSubmatch(src); m != nil {
		r.module = m[1]
	}
	for _, ll := range append(dslBlock(src, "sqlite"), dslBlock(src, "postgres")...) {
		if m := reTable.FindStringSubmatch(ll.text); m != nil {
			r.table = m[1]
		}
		if m := reRepoLine.FindStringSubmatch(ll.text); m != nil {
			r.repo = m[1]
		}
	}
	for _, ll := range dslBlock(src, "multitenancy") {
		if ll.text == "strategy :context" {
			r.tenant = true
		}
	}
	if r.table == "" {
		return nil, &compileError{file, 1, "mixsim: resource has no `sqlite do table \"...\" end`"}
	}
	bad := func(ll logicalLine, err error) error {
		return &compileError{file, ll.line, fmt.Sprintf("mixsim cannot read %q: %v", ll.text, err)}
	}
	lls := dslBlock(src, "attributes")
	for k := 0; k < len(lls); k++ {
		ll := lls[k]
		text := ll.text
		// `attribute :x, :t do ... end` carries its options as lines.
		var inner []string
		if strings.HasSuffix(text, " do") {
			text = strings.TrimSuffix(text, " do")
			for k++; k < len(lls) && lls[k].text != "end"; k++ {
				inner = append(inner, lls[k].text)
			}
		}
		word, rest, _ := strings.Cut(text, " ")
		pr, err := newParser(rest)
		if err != nil {
			return nil, bad(ll, err)
		}
		args, err := pr.parseArgs("")
		if err != nil {
			return nil, bad(ll, err)
		}
		opts := value{kind: vKeyword}
		if len(args) > 0 && args[len(args)-1].kind == vKeyword {
			opts = args[len(args)-1]
			args = args[:len(args)-1]
		}
		for _, in := range inner {
			k, v, _ := strings.Cut(in, " ")
			pv, err := newParser(v)
			if err != nil {
				return nil, bad(ll, err)
			}
			val, err := pv.parseExpr()
			if err != nil {
				return nil, bad(ll, err)
			}
			opts.kw = append(opts.kw, kv{k, val})
		}
		name := ""
		if len(args) > 0 && args[0].kind == vAtom {
			name = args[0].s
		}
		switch word {
		case "uuid_primary_key":
			r.attrs = append(r.attrs, attribute{name: name, ashType: "uuid", pk: true})
		case "integer_primary_key":
			r.attrs = append(r.attrs, attribute{name: name, ashType: "bigint", pk: true, generated: true})
		case "create_timestamp", "update_timestamp":
			r.attrs = append(r.attrs, attribute{name: name, ashType: "utc_datetime_usec"})
		case "timestamps":
			r.attrs = append(r.attrs,
				attribute{name: "inserted_at", ashType: "utc_datetime_usec"},
				attribute{name: "updated_at", ashType: "utc_datetime_usec"})
		case "attribute":
			if len(args) < 2 {
				return nil, bad(ll, fmt.Errorf("attribute needs a name and a type"))
			}
			a := attribute{name: name, ashType: ashType(args[1]), allowNil: true}
			if v, ok := opts.get("primary_key?"); ok && v.kind == vBool && v.b {
				a.pk = true
				a.allowNil = false
			}
			if v, ok := opts.get("allow_nil?"); ok && v.kind == vBool {
				a.allowNil = v.b
			}
			if v, ok := opts.get("default"); ok {
				switch v.kind {
				case vString, vNumber, vBool, vAtom:
					a.dflt = v.literal()
				}
			}
			r.attrs = append(r.attrs, a)
		default:
			return nil, bad(ll, fmt.Errorf("unsupported attribute macro %q", word))
		}
		if name == "" && word != "timestamps" {
			return nil, bad(ll, fmt.Errorf("missing attribute name"))
		}
	}
	for _, ll := range dslBlock(src, "relationships") {
		word, rest, _ := strings.Cut(ll.text, " ")
		if word != "belongs_to" {
			continue // has_many & co add no column here
		}
		pr, err := newParser(strings.TrimSuffix(rest, " do"))
		if err != nil {
			return nil, bad(ll, err)
		}
		args, err := pr.parseArgs("")
		if err != nil {
			return nil, bad(ll, err)
		}
		if len(args) < 2 || args[0].kind != vAtom || args[1].kind != vIdent {
			return nil, bad(ll, fmt.Errorf("belongs_to needs a name and a module"))
		}
		b := belongsTo{name: args[0].s, dest: args[1].s, allowNil: true}
		if len(args) > 2 && args[2].kind == vKeyword {
			if v, ok := args[2].get("allow_nil?"); ok && v.kind == vBool {
				b.allowNil = v.b
			}
			if v, ok := args[2].get("attribute_type"); ok {
				b.attrType = ashType(v)
			}
			if v, ok := args[2].get("define_attribute?"); ok && v.kind == vBool && !v.b {
				continue
			}
		}
		r.belong = append(r.belong, b)
	}
	return r, nil
}

// ashType maps an Ash type to the storage type AshSqlite writes in
// snapshots and migrations.
func ashType(v value) string {
	name := v.s
	if v.kind == vIdent {
		name = underscore(strings.TrimPrefix(name, "Ash.Type."))
	}
	switch name {
	case "string", "ci_string", "atom":
		return "text"
	case "integer":
		return "bigint"
	case "utc_datetime_usec", "uuid", "boolean", "date", "decimal", "float",
		"utc_datetime", "naive_datetime", "naive_datetime_usec", "time", "map", "binary":
		return name
	}
	return name
}
