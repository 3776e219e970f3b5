package snapshots

import (
	"strconv"
	"strings"
)

// Shape of a generated migration file name: 14 digits (UTC yyyymmddhhmmss),
// an underscore, a snake_case slug and ".exs". Written by hand instead of a
// package-level regexp so the package keeps no globals and the rule is exact
// (ASCII digits only, no Unicode classes).
const (
	versionDigits   = 14
	migrationSuffix = ".exs"
	devSuffix       = "_dev"
)

// IsMigrationName reports whether name (a base name, not a path) has the form
// ^\d{14}_[a-z0-9_]+\.exs$. Other files in a migrations folder (.formatter.exs,
// editor backups, .DS_Store) are never migrations.
func IsMigrationName(name string) bool {
	_, _, ok := ParseMigrationName(name)
	return ok
}

// ParseMigrationName splits a migration file name into its version (the 14
// digits as a number, as Ecto stores it in schema_migrations) and its slug.
func ParseMigrationName(name string) (version int64, slug string, ok bool) {
	if len(name) < versionDigits+1+1+len(migrationSuffix) {
		return 0, "", false
	}
	digits := name[:versionDigits]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, "", false
		}
	}
	if name[versionDigits] != '_' || !strings.HasSuffix(name, migrationSuffix) {
		return 0, "", false
	}
	slug = name[versionDigits+1 : len(name)-len(migrationSuffix)]
	if slug == "" {
		return 0, "", false
	}
	for i := 0; i < len(slug); i++ {
		c := slug[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return 0, "", false
		}
	}
	// 14 digits always fit in an int64, so this cannot fail after the scan.
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, "", false
	}
	return v, slug, true
}

// IsDevMigration reports whether name is a migration written by
// `mix ash.codegen --dev` (<T>_<name>_dev.exs). Ash itself recognises them by
// the "_dev.exs" suffix, so a migration whose whole slug is "dev" counts too.
func IsDevMigration(name string) bool {
	_, slug, ok := ParseMigrationName(name)
	return ok && (slug == "dev" || strings.HasSuffix(slug, devSuffix))
}

// MigrationModuleSuffix returns the last segment of the module name Ecto
// migrations generated for slug get (Macro.camelize): two migrations with the
// same suffix in one repo clash at compile time, whatever their versions.
func MigrationModuleSuffix(slug string) string {
	var b strings.Builder
	upper := true
	for i := 0; i < len(slug); i++ {
		c := slug[i]
		if c == '_' {
			upper = true
			continue
		}
		if upper && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper = false
		b.WriteByte(c)
	}
	return b.String()
}

// SnakeCase turns a CamelCase, dashed or spaced name into the snake_case
// slug a migration file name carries ("" when it has other characters):
// the inverse of MigrationModuleSuffix, for suggestions.
func SnakeCase(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
			prevLower = false
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			prevLower = true
		case r == '_' || r == '-' || r == ' ':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			prevLower = false
		default:
			return ""
		}
	}
	return strings.Trim(b.String(), "_")
}
