package regen

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Fault injection for the crash and failure tests. Inert unless the test
// sets REGEN_TEST_FAULT, e.g. "kill:before:codegen" (the process SIGKILLs
// itself right after the journal announces codegen, before running it) or
// "fail:after:rollback" (the step reports a failure after it succeeded) or
// "sleep:before:undo" (a pause of faultSleep, for a test to send a signal
// at a known step).
const faultEnv = "REGEN_TEST_FAULT"

const faultSleep = 3 * time.Second

type fault struct {
	action, when string
	step         StepName
}

type faultPlan []fault

func parseFaults(spec string) (faultPlan, error) {
	var plan faultPlan
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		parts := strings.Split(f, ":")
		if len(parts) != 3 || (parts[0] != "kill" && parts[0] != "fail" && parts[0] != "sleep") || (parts[1] != "before" && parts[1] != "after" && parts[1] != "during") {
			return nil, fmt.Errorf("%s=%q: want kill|fail|sleep:before|after|during:STEP", faultEnv, spec)
		}
		plan = append(plan, fault{parts[0], parts[1], StepName(parts[2])})
	}
	return plan, nil
}

// at is called at each injection point. A "kill" never returns.
func (p faultPlan) at(when string, step StepName) error {
	for _, f := range p {
		if f.when != when || f.step != step {
			continue
		}
		if f.action == "sleep" {
			time.Sleep(faultSleep)
			continue
		}
		if f.action == "kill" {
			// SIGKILL on Unix, TerminateProcess on Windows: uncatchable both.
			if self, err := os.FindProcess(os.Getpid()); err == nil {
				self.Kill()
			}
			select {} // the signal is on its way
		}
		return fmt.Errorf("injected fault %s:%s:%s", f.action, when, step)
	}
	return nil
}
