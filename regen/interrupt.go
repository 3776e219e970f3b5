package regen

import (
	"context"
	"errors"

	"github.com/regen-tool/regen/migrator"
)

// signalOf is the signal that cancelled ctx (cmd cancels with the first
// terminating signal), or nil.
func signalOf(ctx context.Context) *migrator.SignalCause {
	var sig *migrator.SignalCause
	if errors.As(context.Cause(ctx), &sig) {
		return sig
	}
	return nil
}
