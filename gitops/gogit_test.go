package gitops

import (
	"errors"
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
)

// TestResolveRevisionMatchesGit: regen's own revision reader (which
// replaced go-git's root package) gives git's answer for every form it
// reads, on a history with merges, tags of tags and packed and loose
// objects; random chains of ~N and ^N over every commit are compared with
// `git rev-parse`.
func TestResolveRevisionMatchesGit(t *testing.T) {
	isolateGit(t)
	r := newRepo(t)
	commit := func(msg string) {
		r.write("lib/"+strings.ReplaceAll(msg, " ", "_")+".ex", msg+"\n")
		r.git("add", "-A")
		r.git("commit", "-q", "-m", msg)
	}
	commit("root")
	for i := range 4 {
		commit(fmt.Sprintf("main %d", i))
	}
	r.git("checkout", "-q", "-b", "side", "HEAD~2")
	commit("side a")
	commit("side b fix nasty bug")
	r.git("checkout", "-q", "main")
	r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	commit("after merge")
	r.git("tag", "-a", "-m", "one", "t1", "HEAD~1")
	r.git("tag", "-a", "-m", "of a tag", "t2", "t1")
	r.git("tag", "light", "HEAD~3")
	r.git("gc", "-q") // packed objects and refs
	commit("loose 1")
	commit("loose 2")
	repo := r.open()
	if name, _ := repo.Backend(); name != backendGoGit {
		t.Fatalf("backend %s, want go-git", name)
	}
	gitRev := func(rev string) (string, bool) {
		out, err := exec.Command("git", "-C", r.dir, "rev-parse", "--verify", "-q", rev+"^{commit}").Output()
		return strings.TrimSpace(string(out)), err == nil
	}
	compare := func(rev string) {
		t.Helper()
		want, known := gitRev(rev)
		got, err := repo.ResolveRef(rev)
		switch {
		case !known && err == nil:
			t.Errorf("ResolveRef(%q) = %s, git knows no such commit", rev, got)
		case known && err != nil:
			t.Errorf("ResolveRef(%q): %v, git says %s", rev, err, want)
		case known && got != want:
			t.Errorf("ResolveRef(%q) = %s, git says %s", rev, got, want)
		}
	}
	all := strings.Fields(r.git("rev-list", "--all"))
	fixed := []string{"HEAD", "HEAD~", "HEAD~0", "HEAD^0", "HEAD^", "HEAD^^", "HEAD~3", "HEAD~3^2", "HEAD~3^2~1",
		"HEAD~3^1", "HEAD~3^3", "main~2^{commit}", "t1", "t2~1", "t2^{}", "light^", "side~1", "refs/heads/side^",
		"HEAD^{/nasty bug}", "HEAD^{/^main 1}", "HEAD^{/!-loose}", "HEAD~99", "nope~1"}
	for _, rev := range fixed {
		compare(rev)
	}
	rng := rand.New(rand.NewSource(15))
	for range 300 {
		var b strings.Builder
		h := all[rng.Intn(len(all))]
		b.WriteString(h[:4+rng.Intn(len(h)-4)]) // short and full hashes
		for range rng.Intn(4) {
			switch rng.Intn(3) {
			case 0:
				fmt.Fprintf(&b, "~%d", rng.Intn(4))
			case 1:
				fmt.Fprintf(&b, "^%d", rng.Intn(3))
			default:
				b.WriteString("^")
			}
		}
		compare(b.String())
	}
	// Forms regen does not read are refused, never half-read.
	for _, rev := range []string{"HEAD@{1}", "@{-1}", "HEAD:lib", "main..side", "HEAD^{tree}", "HEAD^{/[}"} {
		if got, err := repo.ResolveRef(rev); !errors.Is(err, ErrUnknownRef) {
			t.Errorf("ResolveRef(%q) = %s, %v; want ErrUnknownRef", rev, got, err)
		}
	}
}

// TestParseRevisionRefusesMalformed: a malformed revision is an error, and
// a chain of suffixes is read in order.
func TestParseRevisionRefusesMalformed(t *testing.T) {
	for _, rev := range []string{"", "~1", "HEAD^{", "HEAD^x", "a b", "HEAD^3"} {
		if _, _, err := parseRevision(rev); err == nil {
			t.Errorf("parseRevision(%q) accepted it", rev)
		}
	}
	base, ops, err := parseRevision("main~2^2^{/fix}^{}")
	if err != nil || base != "main" || len(ops) != 3 || ops[0].kind != '~' || ops[0].n != 2 || ops[1].kind != '^' || ops[1].n != 2 || ops[2].kind != '/' {
		t.Errorf("parseRevision(main~2^2^{/fix}^{}) = %q %+v %v", base, ops, err)
	}
}
