package gitops

import (
	"strings"
	"testing"
)

func TestIndexHashesMatchGit(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		r := newRepo(t)
		r.write("priv/repo/migrations/1_a.exs", "a\n")
		r.write("priv/repo/migrations/2_b.exs", "bb\n")
		r.write("lib/x.ex", "x\n")
		r.git("add", "-A")
		if fallback {
			r.git("update-index", "--split-index")
		}
		repo := r.open()
		if name, _ := repo.Backend(); (name == "git-cli") != fallback {
			t.Fatalf("fallback=%v but backend %s", fallback, name)
		}
		got, err := repo.IndexHashes([]string{"priv/repo/migrations"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(r.git("ls-files", "-s", "--", "priv/repo/migrations")), "\n") {
			meta, path, _ := strings.Cut(line, "\t")
			want[path] = strings.Fields(meta)[1]
		}
		if len(got) != 2 || got["priv/repo/migrations/1_a.exs"] != want["priv/repo/migrations/1_a.exs"] || got["priv/repo/migrations/2_b.exs"] != want["priv/repo/migrations/2_b.exs"] {
			t.Fatalf("fallback=%v: got %v want %v", fallback, got, want)
		}
	}
}
