package regen

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"

	"github.com/regen-tool/regen/migrator"
)

// Codegen's questions (issue 15). Ash's codegen asks, through
// Mix.shell().yes?, whether an attribute that disappeared and one that
// appeared in the same table are a rename. regen relays the user's
// terminal to the codegen task only (migrator.TTYRelay); without one (no
// terminal, --yes, CI) Ash reads end of input and takes "no": a drop + add,
// the old column's data not carried. This file is the one place that
// recognises the questions in codegen's output and says what "no" meant.

// CodegenQuestion is one rename question codegen asked.
type CodegenQuestion struct {
	Table, From string
	To          string // "" for "Are you renaming T.F?" (several candidates)
	// Answered: the user's terminal was relayed while it was asked; false:
	// codegen read end of input, which Ash takes for "no".
	Answered bool
}

// Text is the question as Ash asked it.
func (q CodegenQuestion) Text() string {
	if q.To == "" {
		return fmt.Sprintf("Are you renaming %s.%s?", q.Table, q.From)
	}
	return fmt.Sprintf("Are you renaming %s.%s to %s.%s?", q.Table, q.From, q.Table, q.To)
}

// Consequence says what Ash's "no" did and what to run next.
func (q CodegenQuestion) Consequence(name string) string {
	what := fmt.Sprintf("the migration drops %s.%s and adds %s.%s: the data of %s.%s is not carried into %s.%s", q.Table, q.From, q.Table, q.To, q.Table, q.From, q.Table, q.To)
	if q.To == "" {
		what = fmt.Sprintf("the migration drops %s.%s and adds the new attributes: the data of %s.%s is not carried", q.Table, q.From, q.Table, q.From)
	}
	return fmt.Sprintf("codegen asked %q but had no terminal to ask (stdin is not a terminal, or --yes), so Ash took \"no\": %s. If it is a rename, run `regen undo`, then `regen %s` again in a terminal without --yes and answer y.", q.Text(), what, name)
}

// renameQuestion is Mix.Shell.IO.yes?'s rendering of Ash's two questions.
var renameQuestion = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`Are you renaming ([^\s?.]+)\.([^\s?]+?)(?: to [^\s?.]+\.([^\s?]+))?\? \[Yn\] `)
})

// questionWatch passes the children's output through and notes codegen's
// questions, with whether the terminal was being relayed then.
type questionWatch struct {
	w     io.Writer
	relay func() *migrator.TTYRelay
	mu    sync.Mutex
	seen  []CodegenQuestion
}

func (q *questionWatch) Write(p []byte) (int, error) {
	for _, m := range renameQuestion().FindAllSubmatch(p, -1) {
		q.mu.Lock()
		q.seen = append(q.seen, CodegenQuestion{Table: string(m[1]), From: string(m[2]), To: string(m[3]), Answered: q.relay().On()})
		q.mu.Unlock()
	}
	return q.w.Write(p)
}

// unansweredPrompt notes the questions in a prompt that mix regen's VM
// showed on its own terminal while its task read end of input.
func (q *questionWatch) unansweredPrompt(prompt string) {
	for _, m := range renameQuestion().FindAllStringSubmatch(prompt, -1) {
		q.mu.Lock()
		q.seen = append(q.seen, CodegenQuestion{Table: m[1], From: m[2], To: m[3]})
		q.mu.Unlock()
	}
}

// take returns the questions seen since the last take.
func (q *questionWatch) take() []CodegenQuestion {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.seen
	q.seen = nil
	return out
}

// unanswered are the questions codegen asked with no one to answer.
func unanswered(qs []CodegenQuestion) []CodegenQuestion {
	var out []CodegenQuestion
	for _, q := range qs {
		if !q.Answered {
			out = append(out, q)
		}
	}
	return out
}

// useTerminal sets the run's relay: the user's terminal when the caller
// gave one and regen may read it (foreground); else codegen reads end of
// input like every other task.
func (e *Engine) useTerminal(in *os.File) {
	e.relay = nil
	if in != nil {
		e.relay = migrator.NewTTYRelay(in)
	}
}

// asks: the mix command of this step runs codegen (alone, or folded into
// one start with the rollback and migrate), so the terminal is relayed.
func (t *txn) asks(step StepName, argv []string) bool {
	if step == stepCodegen {
		return true
	}
	tasks, ok := t.codegenTasks()
	if !ok || len(tasks) == 0 || len(tasks[0]) == 0 {
		return false
	}
	for _, a := range argv {
		if a == tasks[0][0] {
			return true
		}
	}
	return false
}

// isCodegenTask: one task of a command is codegen's.
func (t *txn) isCodegenTask(task []string) bool {
	tasks, ok := t.codegenTasks()
	return ok && len(tasks) > 0 && len(tasks[0]) > 0 && len(task) > 0 && task[0] == tasks[0][0]
}
