package project

import "strings"

// Error: the configuration or the project's layout cannot be worked on.
// Nothing was changed. cmd maps it to the same exit code as the engine's
// InputError (usage, 2).
type Error struct {
	What string // what is wrong
	Next string // what to run or change next
}

func (e *Error) Error() string { return joinMessage(e.What, "Nothing was changed.", e.Next) }

func joinMessage(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "\n")
}

// CheckTOML tells whether src is inside the TOML subset regen reads.
func CheckTOML(src string) error {
	_, err := parseTOML(src)
	return err
}
