package migrator

// A keep report says what a regeneration's data carry-over (issue 12: dev
// data survives regeneration) put back into the final database and what it
// could not. One report per repo database and schema; it is kept in the
// run's journal and rendered for people by cmd. SQLite and PostgreSQL fill
// the same type.

// KeepReport is the carry-over of one database (one schema on PostgreSQL).
type KeepReport struct {
	Repo    string        `json:"repo"`
	Schema  string        `json:"schema,omitempty"` // PostgreSQL tenant or non-default schema
	Kept    []KeptData    `json:"kept,omitempty"`
	NotKept []NotKeptData `json:"not_kept,omitempty"`
	// Note says why nothing was carried when that is the whole story (a
	// database the carry-over does not handle yet), for people.
	Note string `json:"note,omitempty"`
}

// KeptData is data the carry-over put back. Column empty: whole rows of the
// table (rows the run lost, inserted again); else the values of one column
// in rows present before and after.
type KeptData struct {
	Table  string `json:"table"`
	Column string `json:"column,omitempty"`
	Rows   int64  `json:"rows"`
}

// NotKeptData is data the carry-over could not put back, and why. Count is
// the values (Column set) or rows (Column empty) that stay only in the
// run's backup.
type NotKeptData struct {
	Table  string     `json:"table"`
	Column string     `json:"column,omitempty"`
	Reason KeepReason `json:"reason"`
	Count  int64      `json:"count"`
}

// KeepReason is why data was not kept. It steers nothing but the report;
// the values are stable for --json readers.
type KeepReason string

const (
	KeepTableGone    KeepReason = "table_gone"     // the final schema has no such table
	KeepColumnGone   KeepReason = "column_gone"    // the final table has no such column
	KeepTypeChanged  KeepReason = "type_changed"   // values that do not convert to the new type
	KeepNotNull      KeepReason = "not_null"       // rows a NOT NULL column without default rejects
	KeepNoPrimaryKey KeepReason = "no_primary_key" // rows cannot be matched
	KeepForeignKey   KeepReason = "foreign_key"    // rows whose parent is gone (skipped, not failed)
	KeepVirtual      KeepReason = "virtual_table"  // SQLite virtual tables (FTS, …): their module owns the rows
)

// KeepConstraint: rows or values another constraint of the final table
// rejects (a unique index, a check). PostgreSQL's carry-over (issue 12).
const KeepConstraint KeepReason = "constraint"
