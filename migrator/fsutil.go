package migrator

import "github.com/regen-tool/regen/migrator/fsatomic"

// Backups and restores are only as good as what survives a power cut:
// every write ends with these (migrator/fsatomic holds the one copy).

func syncFile(path string) error { return fsatomic.SyncFile(path) }

func syncDir(dir string) error { return fsatomic.SyncDir(dir) }
