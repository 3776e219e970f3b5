package main

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// leaves are the packages below the engine: the command layer reaches them
// only through regen's API, so that one concept has one entry point.
var leaves = []string{
	"github.com/regen-tool/regen/migrator",
	"github.com/regen-tool/regen/gitops",
	"github.com/regen-tool/regen/snapshots",
}

// TestCmdImportsNoLeafPackage reads the imports of every package under
// cmd/regen (production files; tests may set up state through the leaves).
func TestCmdImportsNoLeafPackage(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		pkg, err := build.ImportDir(path, 0)
		if _, none := err.(*build.NoGoError); none {
			return nil
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		checked++
		if bad := leafImports(pkg.Imports); len(bad) > 0 {
			t.Errorf("cmd/regen/%s imports %s: go through regen's API instead", path, strings.Join(bad, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("only %d packages read under cmd/regen: the walk is broken", checked)
	}
}

func leafImports(imports []string) []string {
	var bad []string
	for _, imp := range imports {
		for _, l := range leaves {
			if imp == l || strings.HasPrefix(imp, l+"/") {
				bad = append(bad, imp)
			}
		}
	}
	return bad
}

// The rule itself can fail: a leaf import is caught.
func TestLeafImportsFindsLeaves(t *testing.T) {
	got := leafImports([]string{"fmt", "github.com/regen-tool/regen/regen", "github.com/regen-tool/regen/gitops", "github.com/regen-tool/regen/migratorx"})
	if len(got) != 1 || got[0] != "github.com/regen-tool/regen/gitops" {
		t.Fatalf("leafImports = %v", got)
	}
}
