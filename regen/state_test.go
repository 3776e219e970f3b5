package regen

import (
	"encoding/json"
	"strings"
	"testing"
)

// A journal as regens before the typed state wrote it (the strings as they
// were, a repo record without a kind) loads into the typed values, and is
// written back with the same strings.
func TestOldJournalLoadsIntoTypedState(t *testing.T) {
	old := `{"format":1,"run_id":"20260102T030405Z-abcdef","kind":"undo","command":"regen undo",
"root":"/p","backup_dir":"/p/.regen/backup/20260102T030405Z-abcdef","step":"","done":["backup"],
"outcome":"compensated","files":{},
"repos":[
 {"name":"blog","kind":"postgres","database":"postgres://u@h/db","before":[1],"rollback":[],"db_restore":"remigrate"},
 {"name":"audit","kind":"postgres","database":"postgres://u@h/a","before":[1],"rollback":[],"db_restore":"template","db_backup":"regen_bk_a"},
 {"name":"old","database":"dev.db","before":[1],"rollback":[],"db_restore":"copy","db_backup":"db-old-dev.db"}]}`
	j, err := decodeJournal([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if j.Kind != RunUndo || j.Outcome != OutcomeCompensated {
		t.Fatalf("kind %v, outcome %v", j.Kind, j.Outcome)
	}
	want := []struct {
		kind DBKind
		how  RestoreMethod
	}{{KindPostgres, RestoreRemigrate}, {KindPostgres, RestoreTemplate}, {KindSQLite, RestoreCopy}}
	for i, w := range want {
		if r := j.Repos[i]; r.Kind != w.kind || r.DBRestore != w.how {
			t.Errorf("repo %s: kind %v, restore %v; want %v, %v", r.Name, r.Kind, r.DBRestore, w.kind, w.how)
		}
	}
	data, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"kind":"undo"`, `"outcome":"compensated"`, `"kind":"postgres"`, `"db_restore":"remigrate"`,
		`"db_restore":"template"`, `"kind":"sqlite"`, `"db_restore":"copy"`} {
		if !strings.Contains(string(data), s) {
			t.Errorf("written back without %s:\n%s", s, data)
		}
	}
	// An open journal has no outcome key at all, as before.
	j.Outcome = OutcomeOpen
	data, _ = json.Marshal(j)
	if strings.Contains(string(data), `"outcome"`) {
		t.Errorf("an open journal names an outcome:\n%s", data)
	}
}

// Every value writes the string it reads, and a string this regen does not
// know is refused (a journal of a newer regen is not silently misread).
func TestStateValuesRoundTrip(t *testing.T) {
	check := func(name string, names []string, m func(i int) ([]byte, error), u func(b []byte) (int, error)) {
		t.Helper()
		for i, n := range names {
			b, err := m(i)
			if err != nil || string(b) != n {
				t.Errorf("%s %d writes %q (%v), want %q", name, i, b, err, n)
			}
			if got, err := u([]byte(n)); err != nil || got != i {
				t.Errorf("%s %q reads %d (%v), want %d", name, n, got, err, i)
			}
		}
		if _, err := u([]byte("bogus")); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
			t.Errorf("%s: an unknown value reads without an error naming it: %v", name, err)
		}
		if _, err := m(len(names)); err == nil {
			t.Errorf("%s: an out-of-range value writes", name)
		}
	}
	check("strategy", strategyNames, func(i int) ([]byte, error) { return Strategy(i).MarshalText() },
		func(b []byte) (int, error) { var v Strategy; err := v.UnmarshalText(b); return int(v), err })
	check("restore", restoreNames, func(i int) ([]byte, error) { return RestoreMethod(i).MarshalText() },
		func(b []byte) (int, error) { var v RestoreMethod; err := v.UnmarshalText(b); return int(v), err })
	check("kind", kindNames, func(i int) ([]byte, error) { return DBKind(i).MarshalText() },
		func(b []byte) (int, error) { var v DBKind; err := v.UnmarshalText(b); return int(v), err })
	check("outcome", outcomeNames, func(i int) ([]byte, error) { return Outcome(i).MarshalText() },
		func(b []byte) (int, error) { var v Outcome; err := v.UnmarshalText(b); return int(v), err })
	check("recover action", recoverActionNames, func(i int) ([]byte, error) { return RecoverAction(i).MarshalText() },
		func(b []byte) (int, error) { var v RecoverAction; err := v.UnmarshalText(b); return int(v), err })
	check("run kind", runKindNames, func(i int) ([]byte, error) { return RunKind(i).MarshalText() },
		func(b []byte) (int, error) { var v RunKind; err := v.UnmarshalText(b); return int(v), err })
}

// The strategy comes from --rollback, else the config, else the default,
// and says where it came from; a bad option is an input error.
func TestResolveStrategy(t *testing.T) {
	cases := []struct {
		option, config string
		want           Strategy
		from           StrategySource
		reason         string
	}{
		{"", "", StrategyAuto, FromDefault, "the default strategy auto"},
		{"", "rebuild", StrategyRebuild, FromConfig, `rollback_strategy = "rebuild" in .regen.toml`},
		{"down", "rebuild", StrategyDown, FromOption, "--rollback down"},
		{"rebuild", "", StrategyRebuild, FromOption, "--rollback rebuild"},
	}
	for _, c := range cases {
		got, err := resolveStrategy(c.option, c.config)
		if err != nil || got.Strategy != c.want || got.From != c.from || got.Reason() != c.reason {
			t.Errorf("resolveStrategy(%q, %q) = %+v %q, %v; want %v from %v, %q", c.option, c.config, got, got.Reason(), err, c.want, c.from, c.reason)
		}
	}
	for _, bad := range []string{"up", "Auto", " down"} {
		_, err := resolveStrategy(bad, "down")
		if ie, ok := err.(*InputError); !ok || !strings.Contains(ie.What, bad) {
			t.Errorf("--rollback %q: %v", bad, err)
		}
	}
	if _, ok := ParseStrategy(""); ok {
		t.Error("the empty strategy is valid")
	}
}

// The plan's strategy is a value beside its text: what auto comes to, and
// a down that will raise, are decided from the values.
func TestStrategyTextFollowsTheValues(t *testing.T) {
	cases := []struct {
		chosen, by Strategy
		raising    string
		want       string
	}{
		{StrategyAuto, StrategyRebuild, "m.exs", "rebuild (auto: the `down` of m.exs raises)"},
		{StrategyAuto, StrategyDown, "", "down"},
		{StrategyDown, StrategyDown, "m.exs", "down (will fail: the `down` of m.exs raises)"},
		{StrategyRebuild, StrategyRebuild, "m.exs", "rebuild"},
	}
	for _, c := range cases {
		if got := strategyText(c.chosen, c.by, c.raising); got != c.want {
			t.Errorf("strategyText(%v, %v, %q) = %q, want %q", c.chosen, c.by, c.raising, got, c.want)
		}
	}
}
