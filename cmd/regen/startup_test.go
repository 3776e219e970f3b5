package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every regen process pays for the init of every package it links, whatever
// the command: `regen status` and the pre-commit hook run in milliseconds,
// so start-up work is most of their cost (issue 15).

// notLinked are packages regen must not link: go-git's root package and
// the transports it brings (ssh, http, the git protocol); regen never
// fetches or pushes.
var notLinked = []string{
	"github.com/go-git/go-git/v5",
	"github.com/go-git/go-git/v5/plumbing/transport",
	"golang.org/x/crypto/ssh",
	"net/http",
}

func regenDeps(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	return strings.Fields(string(out))
}

func TestStartupLinksNoGitTransport(t *testing.T) {
	deps := regenDeps(t)
	if len(deps) < 50 {
		t.Fatalf("go list found only %d packages: the listing is broken", len(deps))
	}
	have := map[string]bool{}
	for _, d := range deps {
		have[d] = true
	}
	if !have["github.com/go-git/go-git/v5/plumbing/object"] {
		t.Fatal("go-git's object package is not linked: the listing is broken")
	}
	for _, p := range notLinked {
		if have[p] {
			t.Errorf("regen links %s: its init runs at every start", p)
		}
	}
}

// TestStartupCompilesNoRegexpAtInit: a package-level
// `var x = regexp.MustCompile(...)` compiles at every start; regen's own
// packages compile theirs on first use (sync.OnceValue).
func TestStartupCompilesNoRegexpAtInit(t *testing.T) {
	const module = "github.com/regen-tool/regen/"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Dir}} {{join .GoFiles \",\"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	files := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(f[0], module) {
			continue
		}
		for _, name := range strings.Split(f[2], ",") {
			path := filepath.Join(f[1], name)
			files++
			for _, at := range initRegexps(t, path) {
				t.Errorf("%s: regexp.MustCompile at package level runs at every start; wrap it in sync.OnceValue", at)
			}
		}
	}
	if files < 50 {
		t.Fatalf("read only %d files of regen's packages: the listing is broken", files)
	}
}

// initRegexps finds package-level variables initialised by a direct call
// of regexp.MustCompile or regexp.Compile.
func initRegexps(t *testing.T, path string) []string {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var found []string
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			for _, v := range spec.(*ast.ValueSpec).Values {
				call, ok := v.(*ast.CallExpr)
				if !ok {
					continue
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					continue
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "regexp" && (sel.Sel.Name == "MustCompile" || sel.Sel.Name == "Compile") {
					found = append(found, fset.Position(call.Pos()).String())
				}
			}
		}
	}
	return found
}

// The rule can fail: a package-level regexp is found.
func TestInitRegexpsFindsOne(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "x.go")
	err := os.WriteFile(src, []byte("package x\n\nimport \"regexp\"\n\nvar re = regexp.MustCompile(`a`)\n\nfunc f() { _ = regexp.MustCompile(`b`) }\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if got := initRegexps(t, src); len(got) != 1 {
		t.Fatalf("initRegexps = %v, want the one package-level regexp", got)
	}
}
