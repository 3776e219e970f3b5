package regen

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// holdRaw takes the flock on the lock file through a descriptor of its own,
// the way a second regen process would, without writing any details.
func holdRaw(t *testing.T, dir string) *os.File {
	t.Helper()
	f, err := os.OpenFile(lockPath(dir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Issue 10 case 8: looking at the lock (what status and --dry-run do) must
// never take it, not even for an instant: every acquire made while another
// goroutine observes in a tight loop succeeds. (The old Running took the
// lock to test it, and an acquire landing in that window failed.)
func TestObservingTheLockNeverMakesAnAcquireFail(t *testing.T) {
	dir := t.TempDir()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var observed atomic.Int64
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				observeLock(dir)
				observed.Add(1)
			}
		}()
	}
	for observed.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 500; i++ {
		lk, err := acquireLock(dir, "regen x", time.Now())
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("acquire %d failed while only observers were around: %v", i, err)
		}
		lk.release()
	}
	close(stop)
	wg.Wait()
	t.Logf("%d observations", observed.Load())
}

func TestObserveLockSeesTheHolderAndOnlyTheLiveOne(t *testing.T) {
	dir := t.TempDir()
	if h := observeLock(dir); h != nil {
		t.Fatalf("no lock file, but observed %+v", h)
	}
	lk, err := acquireLock(dir, "regen add_tags -m", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := observeLock(dir)
	if h == nil || h.PID != os.Getpid() || h.Command != "regen add_tags -m" || h.Started.IsZero() || h.Host == "" {
		t.Fatalf("observed %+v while holding the lock", h)
	}
	lk.release()
	if h := observeLock(dir); h != nil {
		t.Fatalf("released, but observed %+v", h)
	}
	// kill -9 leaves the details of a holder that is gone.
	os.WriteFile(lockPath(dir), []byte(`{"pid":999999,"host":"gone","started":"2020-01-01T00:00:00Z","command":"regen x"}`), 0o600)
	if h := observeLock(dir); h != nil {
		t.Fatalf("a dead holder's details were taken for a live run: %+v", h)
	}
}

// A changing run that meets another always says who holds the lock, also
// when the holder has not written its details yet (just after its flock) or
// when the file still holds a dead holder's details: the kernel's PID then.
func TestLockedErrorNamesTheHolderEvenBeforeItWroteItsDetails(t *testing.T) {
	for _, content := range []string{"", `{"pid":999999,"host":"gone","started":"2020-01-01T00:00:00Z","command":"regen x"}`} {
		dir := t.TempDir()
		os.WriteFile(lockPath(dir), []byte(content), 0o600)
		holdRaw(t, dir)
		_, err := acquireLock(dir, "regen y", time.Now())
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatalf("content %q: want a LockedError, got %v", content, err)
		}
		if _, kernel := lockHolders(mustOpen(t, lockPath(dir))); kernel && le.Holder.PID != os.Getpid() {
			t.Fatalf("content %q: holder %+v, want the kernel's pid %d", content, le.Holder, os.Getpid())
		}
		msg := le.Error()
		if le.Holder.PID == 0 && !strings.Contains(msg, lockPath(dir)) || strings.Contains(msg, "999999") {
			t.Fatalf("content %q: message:\n%s", content, msg)
		}
		if h := observeLock(dir); h == nil || h.PID != le.Holder.PID {
			t.Fatalf("content %q: observe says %+v, acquire said %+v", content, h, le.Holder)
		}
	}
}

func TestLockedErrorWithDetailsNamesPIDHostAndStart(t *testing.T) {
	dir := t.TempDir()
	started := time.Date(2026, 12, 1, 9, 8, 7, 0, time.Local)
	lk, err := acquireLock(dir, "regen add_tags -m", started)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.release()
	_, err = acquireLock(dir, "regen other", time.Now())
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("want a LockedError, got %v", err)
	}
	host, _ := os.Hostname()
	for _, want := range []string{"pid " + itoa(os.Getpid()), "on " + host, "started 09:08:07", "regen add_tags -m", "Nothing was changed."} {
		if !strings.Contains(le.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, le.Error())
		}
	}
}

func mustOpen(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func itoa(i int) string { return strconv.Itoa(i) }

// Changing runs racing for the lock: every refusal names the holder (its
// details, or at least the kernel's PID), never "another regen process".
func TestRacingAcquiresAlwaysNameTheHolder(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	var refused, empty atomic.Int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				lk, err := acquireLock(dir, "regen race", time.Now())
				if err == nil {
					lk.release()
					continue
				}
				var le *LockedError
				if !errors.As(err, &le) {
					t.Errorf("not a LockedError: %v", err)
					return
				}
				refused.Add(1)
				if le.Holder.PID == 0 || !strings.Contains(le.Error(), "pid ") {
					empty.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if empty.Load() > 0 {
		t.Fatalf("%d of %d refusals named no holder", empty.Load(), refused.Load())
	}
	t.Logf("%d refusals, each naming the holder", refused.Load())
}
