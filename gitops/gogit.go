package gitops

import (
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// goGitRepo reads objects and refs through go-git's storage packages. It
// replaces go-git's root package (git.Repository), which links in every
// transport (ssh, http, the git protocol) and their init work: a regen
// process never fetches or pushes, and each start paid for them.
type goGitRepo struct {
	st *filesystem.Storage
}

// errNoHEAD: HEAD is missing, so this is not a repository go-git can read.
var errNoHEAD = errors.New("repository does not exist (no HEAD)")

// openStorage checks what git.Open checked: HEAD exists, the config
// parses, and the repository format version is one go-git reads (the
// extensions are refused earlier, by settings.unsupported).
func openStorage(st *filesystem.Storage) (*goGitRepo, error) {
	if _, err := st.Reference(plumbing.HEAD); errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, errNoHEAD
	}
	cfg, err := st.Config()
	if err != nil {
		return nil, err
	}
	switch v := cfg.Core.RepositoryFormatVersion; v {
	case "", "0", "1":
	default:
		return nil, fmt.Errorf("unsupported repository format version %q", v)
	}
	return &goGitRepo{st: st}, nil
}

func (g *goGitRepo) Head() (*plumbing.Reference, error) {
	return storer.ResolveReference(g.st, plumbing.HEAD)
}

// Reference resolves name (following symbolic refs).
func (g *goGitRepo) Reference(name plumbing.ReferenceName) (*plumbing.Reference, error) {
	return storer.ResolveReference(g.st, name)
}

func (g *goGitRepo) CommitObject(h plumbing.Hash) (*object.Commit, error) {
	return object.GetCommit(g.st, h)
}

func (g *goGitRepo) TreeObject(h plumbing.Hash) (*object.Tree, error) {
	return object.GetTree(g.st, h)
}

func (g *goGitRepo) BlobObject(h plumbing.Hash) (*object.Blob, error) {
	return object.GetBlob(g.st, h)
}

func (g *goGitRepo) TagObject(h plumbing.Hash) (*object.Tag, error) {
	return object.GetTag(g.st, h)
}

// ResolveRevision resolves the revision forms go-git's resolver served: a
// ref (git's DWIM order) or a hash or hash prefix, then any chain of `~`,
// `~N`, `^`, `^N` (N ≤ 2 as go-git), `^{/regex}` (`^{/!-regex}`: the first
// commit not matching) and the no-op peels `^{}` and `^{commit}`. Other
// forms (`@{...}`, `:path`) are refused rather than half-read.
func (g *goGitRepo) ResolveRevision(rev string) (plumbing.Hash, error) {
	base, ops, err := parseRevision(rev)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c, err := g.revisionBase(base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for _, op := range ops {
		if c, err = g.applyRevOp(c, op); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return c.Hash, nil
}

// revOp is one suffix of a revision: kind '~' (n first parents), '^' (the
// nth parent, 0 for the commit itself) or '/' (the newest reachable commit
// whose message matches re, or does not when negate).
type revOp struct {
	kind   byte
	n      int
	re     *regexp.Regexp
	negate bool
}

func parseRevision(rev string) (string, []revOp, error) {
	cut := strings.IndexAny(rev, "~^")
	if cut < 0 {
		cut = len(rev)
	}
	base, rest := rev[:cut], rev[cut:]
	if base == "" || strings.ContainsAny(base, ":@{}\\ \t\n") || strings.Contains(base, "..") {
		return "", nil, fmt.Errorf("revision %q is not a form regen reads", rev)
	}
	var ops []revOp
	for rest != "" {
		kind := rest[0]
		rest = rest[1:]
		if kind == '^' && strings.HasPrefix(rest, "{") {
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return "", nil, fmt.Errorf("revision %q: unclosed ^{", rev)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			switch {
			case inner == "" || inner == "commit":
			case strings.HasPrefix(inner, "/"):
				pat, negate := inner[1:], false
				if strings.HasPrefix(pat, "!-") {
					pat, negate = pat[2:], true
				}
				re, err := regexp.Compile(pat)
				if err != nil {
					return "", nil, fmt.Errorf("revision %q: %w", rev, err)
				}
				ops = append(ops, revOp{kind: '/', re: re, negate: negate})
			default:
				return "", nil, fmt.Errorf("revision %q: ^{%s} is not a form regen reads", rev, inner)
			}
			continue
		}
		if kind != '~' && kind != '^' {
			return "", nil, fmt.Errorf("revision %q is not a form regen reads", rev)
		}
		digits := 0
		for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
			digits++
		}
		n := 1
		if digits > 0 {
			v, err := strconv.Atoi(rest[:digits])
			if err != nil {
				return "", nil, fmt.Errorf("revision %q: %w", rev, err)
			}
			n = v
		}
		rest = rest[digits:]
		if kind == '^' && n > 2 {
			return "", nil, fmt.Errorf("revision %q: only ^, ^1 and ^2 are read", rev)
		}
		ops = append(ops, revOp{kind: kind, n: n})
	}
	return base, ops, nil
}

// revisionBase: a hash (prefix) wins over a ref of the same name, as in
// git; a tag (of a tag ...) is peeled to its commit.
func (g *goGitRepo) revisionBase(base string) (*object.Commit, error) {
	tries := g.hashesWithPrefix(base)
	for _, rule := range plumbing.RefRevParseRules {
		if ref, err := g.Reference(plumbing.ReferenceName(fmt.Sprintf(rule, base))); err == nil {
			tries = append(tries, ref.Hash())
			break
		}
	}
	for _, h := range tries {
		for range 10 { // tags of tags are legal; a bound keeps a cycle from hanging
			if c, err := g.CommitObject(h); err == nil {
				return c, nil
			}
			tag, err := g.TagObject(h)
			if err != nil {
				break
			}
			h = tag.Target
		}
	}
	return nil, plumbing.ErrReferenceNotFound
}

func (g *goGitRepo) hashesWithPrefix(s string) []plumbing.Hash {
	if len(s) == 2*len(plumbing.ZeroHash) {
		if plumbing.IsHash(s) {
			return []plumbing.Hash{plumbing.NewHash(s)}
		}
		return nil
	}
	even := s[:len(s)&^1]
	prefix, err := hex.DecodeString(even)
	if err != nil || len(prefix) == 0 {
		return nil
	}
	found, err := g.st.HashesWithPrefix(prefix)
	if err != nil {
		return nil
	}
	var out []plumbing.Hash
	for _, h := range found {
		if strings.HasPrefix(h.String(), s) {
			out = append(out, h)
		}
	}
	return out
}

func (g *goGitRepo) applyRevOp(c *object.Commit, op revOp) (*object.Commit, error) {
	switch op.kind {
	case '~':
		for range op.n {
			p, err := c.Parents().Next()
			if err != nil {
				return nil, err
			}
			c = p
		}
		return c, nil
	case '^':
		if op.n == 0 {
			return c, nil
		}
		return c.Parent(op.n - 1)
	}
	var found *object.Commit
	err := object.NewCommitPreorderIter(c, nil, nil).ForEach(func(hc *object.Commit) error {
		if op.re.MatchString(hc.Message) != op.negate {
			found = hc
			return storer.ErrStop
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("no commit message matches %q", op.re.String())
	}
	return found, nil
}
