package regen

import (
	"errors"

	"github.com/regen-tool/regen/regen/project"
)

// The engine decides on *InputError (pass it through, add a hint, do not
// compensate): project's errors become one where they enter the engine.
func asInputError(err error) error {
	var pe *project.Error
	if errors.As(err, &pe) {
		return &InputError{What: pe.What, Next: pe.Next}
	}
	return err
}

func checkMix(cfg *project.Config) error { return asInputError(project.CheckMix(cfg)) }

func loadConfig(root, explicitFile string, getenv func(string) string) (*project.Config, error) {
	cfg, err := project.LoadConfig(root, explicitFile, getenv)
	return cfg, asInputError(err)
}

func findProjectRoot(dir, stopAt string) (string, error) {
	root, err := project.FindProjectRoot(dir, stopAt)
	return root, asInputError(err)
}
