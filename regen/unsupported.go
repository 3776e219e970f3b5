package regen

import "github.com/regen-tool/regen/migrator"

// UnsupportedError: the platform lacks what a command needs (Windows:
// process groups, POSIX signals, flock); nothing was started or changed.
type UnsupportedError = migrator.UnsupportedError
