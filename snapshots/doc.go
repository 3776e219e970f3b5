// Package snapshots reads the files Ash's migration generators keep beside the
// migrations: resource snapshots (one JSON file per table per codegen run) and
// AshPostgres's extensions.json. It also owns the migration file-name rules,
// because both the static checks and the engine need them and the leaf
// packages may not import each other.
//
// Everything here is read-only and side-effect free: the package never writes,
// never prints and keeps no state between calls.
package snapshots
