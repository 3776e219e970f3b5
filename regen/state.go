package regen

import (
	"fmt"

	"github.com/regen-tool/regen/regen/project"
)

// The engine's state values are typed: a decision compares values, never
// text, and each value's JSON is the string journals have always held, so
// journals written by an older regen still load.

// enumText is v's name in names; an out-of-range value is a bug, reported
// rather than written as an empty string.
func enumText[T ~int](what string, names []string, v T) ([]byte, error) {
	if int(v) < 0 || int(v) >= len(names) {
		return nil, fmt.Errorf("%s %d is not known", what, int(v))
	}
	return []byte(names[v]), nil
}

// enumParse is the value whose name is s.
func enumParse[T ~int](what string, names []string, s string) (T, error) {
	for i, n := range names {
		if n == s {
			return T(i), nil
		}
	}
	return 0, fmt.Errorf("%s %q is not known to this regen", what, s)
}

func enumString(names []string, v int) string {
	if v < 0 || v >= len(names) {
		return fmt.Sprintf("unknown(%d)", v)
	}
	return names[v]
}

// Strategy is how a rollback goes. AshSqlite writes a `down` that raises
// for every table it creates with a foreign key, so on SQLite a rollback by
// `down` often cannot work. A rebuild recreates the database from the
// tracked history and carries the data over instead.
type Strategy int

const (
	strategyNone    Strategy = iota // no rollback (nothing to roll back)
	StrategyAuto                    // down; if a down fails on SQLite, restore and rebuild
	StrategyDown                    // only down
	StrategyRebuild                 // straight to rebuild
)

// The names are the config's (project.StrategyNames), after "no rollback".
var strategyNames = append([]string{""}, project.StrategyNames()...)

func (s Strategy) String() string               { return enumString(strategyNames, int(s)) }
func (s Strategy) MarshalText() ([]byte, error) { return enumText("strategy", strategyNames, s) }
func (s *Strategy) UnmarshalText(b []byte) error {
	return unmarshalEnum(s, "strategy", strategyNames, b)
}

// ParseStrategy reads a strategy as the user writes it (auto, down, rebuild).
func ParseStrategy(s string) (Strategy, bool) {
	v, err := enumParse[Strategy]("strategy", strategyNames, s)
	return v, err == nil && v != strategyNone
}

// StrategySource is where the run's strategy came from: it goes into
// messages, never into a decision.
type StrategySource int

const (
	FromDefault StrategySource = iota
	FromConfig
	FromOption
)

// StrategyChoice is the run's strategy, resolved once, and where it came from.
type StrategyChoice struct {
	Strategy Strategy
	From     StrategySource
}

// resolveStrategy picks the strategy: the --rollback option, then the
// config's rollback_strategy, then auto.
func resolveStrategy(option, config string) (StrategyChoice, error) {
	if option != "" {
		s, err := strategyOption(option)
		return StrategyChoice{s, FromOption}, err
	}
	if config != "" {
		s, ok := ParseStrategy(config)
		if !ok { // LoadConfig refuses it; kept as a guard
			return StrategyChoice{}, &InputError{What: fmt.Sprintf("rollback_strategy %q is not a strategy.", config), Next: "Use auto, down or rebuild in .regen.toml."}
		}
		return StrategyChoice{s, FromConfig}, nil
	}
	return StrategyChoice{StrategyAuto, FromDefault}, nil
}

// strategyOption reads --rollback (checked before anything else runs).
func strategyOption(option string) (Strategy, error) {
	s, ok := ParseStrategy(option)
	if !ok {
		return strategyNone, &InputError{What: fmt.Sprintf("--rollback %q is not a strategy.", option), Next: "Use auto, down or rebuild."}
	}
	return s, nil
}

// Reason says, for messages, how the strategy was chosen.
func (c StrategyChoice) Reason() string {
	switch c.From {
	case FromOption:
		return "--rollback " + c.Strategy.String()
	case FromConfig:
		return "rollback_strategy = \"" + c.Strategy.String() + "\" in .regen.toml"
	}
	return "the default strategy " + c.Strategy.String()
}

// RestoreMethod is how a database comes back from its backup.
type RestoreMethod int

const (
	restoreUnknown   RestoreMethod = iota
	RestoreCopy                    // a SQLite copy in the backup folder, written back in place
	RestoreTemplate                // a PostgreSQL template copy of the whole database
	RestoreRemigrate               // no copy: roll back what the run applied, migrate again
)

var restoreNames = []string{"", "copy", "template", "remigrate"}

func (m RestoreMethod) String() string { return enumString(restoreNames, int(m)) }
func (m RestoreMethod) MarshalText() ([]byte, error) {
	return enumText("restore method", restoreNames, m)
}
func (m *RestoreMethod) UnmarshalText(b []byte) error {
	return unmarshalEnum(m, "restore method", restoreNames, b)
}

// KeepsPresentCopy: before replacing the database, this method can keep
// what it holds then (a re-migration keeps no copy of anything).
func (m RestoreMethod) KeepsPresentCopy() bool { return m == RestoreCopy || m == RestoreTemplate }

// DBKind is the kind of database a journal record names: it chooses which
// implementation of database opens it (databaseFor), nothing else.
type DBKind int

const (
	KindSQLite DBKind = iota // journals of older regens may have no kind: SQLite
	KindPostgres
)

var kindNames = []string{"sqlite", "postgres"}

func (k DBKind) String() string               { return enumString(kindNames, int(k)) }
func (k DBKind) MarshalText() ([]byte, error) { return enumText("database kind", kindNames, k) }
func (k *DBKind) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*k = KindSQLite
		return nil
	}
	return unmarshalEnum(k, "database kind", kindNames, b)
}

// Outcome is how a run (its journal) ended; the zero value is a run still open.
type Outcome int

const (
	OutcomeOpen        Outcome = iota
	OutcomeCommitted           // done and verified
	OutcomeCompensated         // failed, everything restored
	OutcomeRecovered           // reversed by `regen recover`
	OutcomeUndone              // reversed by `regen undo`
	OutcomeAbandoned           // stopped before it changed anything
	OutcomeChecked             // a `check --roundtrip`, put back as it always is
)

var outcomeNames = []string{"", "committed", "compensated", "recovered", "undone", "abandoned", "checked"}

func (o Outcome) String() string                { return enumString(outcomeNames, int(o)) }
func (o Outcome) MarshalText() ([]byte, error)  { return enumText("outcome", outcomeNames, o) }
func (o *Outcome) UnmarshalText(b []byte) error { return unmarshalEnum(o, "outcome", outcomeNames, b) }

// RecoverAction says what `regen recover` did.
type RecoverAction int

const (
	RecoverNone           RecoverAction = iota // no open journal
	RecoverRestored                            // the run was reversed
	RecoverFinished                            // the run had verified everything; its commit was completed
	RecoverNothingChanged                      // the run had changed nothing; closed
	RecoverAlreadyClosed                       // the run had been closed (a damaged journal beside a finished run)
)

var recoverActionNames = []string{"none", "restored", "finished", "nothing-changed", "already-closed"}

func (a RecoverAction) String() string { return enumString(recoverActionNames, int(a)) }
func (a RecoverAction) MarshalText() ([]byte, error) {
	return enumText("recover action", recoverActionNames, a)
}
func (a *RecoverAction) UnmarshalText(b []byte) error {
	return unmarshalEnum(a, "recover action", recoverActionNames, b)
}

func unmarshalEnum[T ~int](v *T, what string, names []string, b []byte) error {
	x, err := enumParse[T](what, names, string(b))
	if err != nil {
		return err
	}
	*v = x
	return nil
}

// RunKind is what a journal records: a regeneration, an undo, a round trip.
type RunKind int

const (
	runKindUnknown RunKind = iota // not readable (a damaged journal)
	RunRegen
	RunUndo
	RunRoundtrip
	RunSync // `regen sync`: phantoms rolled back, the work tree's migrations applied
)

var runKindNames = []string{"", "regen", "undo", "roundtrip", "sync"}

// isRun: a regeneration or a sync, committed by finishRun, named by the
// last-run marker and reversed by `regen undo` alike.
func (k RunKind) isRun() bool { return k == RunRegen || k == RunSync }

func (k RunKind) String() string                { return enumString(runKindNames, int(k)) }
func (k RunKind) MarshalText() ([]byte, error)  { return enumText("run kind", runKindNames, k) }
func (k *RunKind) UnmarshalText(b []byte) error { return unmarshalEnum(k, "run kind", runKindNames, b) }

// parseRunKind reads a kind from a damaged journal's text: unknown when
// it is not one.
func parseRunKind(s string) RunKind {
	k, err := enumParse[RunKind]("run kind", runKindNames, s)
	if err != nil {
		return runKindUnknown
	}
	return k
}
