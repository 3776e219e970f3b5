// Package migrator is regen's contact with databases and with the project's
// own tool chain: it reads applied migration versions, backs up and restores
// SQLite databases, fingerprints them for verification, and runs mix (or a
// stand-in) as a child process with signal forwarding and streamed output.
//
// It never prints (output goes to the writers the caller passes in), keeps no
// global mutable state, and imports nothing else from this repository.
package migrator
