package interrupt

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpokit/dpokit/internal/fsutil"
)

func TestDoReturnsResult(t *testing.T) {
	v, err := Do(context.Background(), func() (int, error) { return 7, nil }, nil)
	if v != 7 || err != nil {
		t.Fatalf("%d, %v", v, err)
	}
}

// TestDoStopsAtCancel: a phase that ignores its context is abandoned at
// cancellation; its result, when it comes, is released.
func TestDoStopsAtCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started, finish := make(chan struct{}), make(chan struct{})
	var released atomic.Int32
	done := make(chan error)
	go func() {
		_, err := Do(ctx, func() (int, error) { close(started); <-finish; return 1, nil }, func(int) { released.Add(1) })
		done <- err
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Do did not return at cancellation")
	}
	close(finish)
	for deadline := time.Now().Add(10 * time.Second); released.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned result was not released")
		}
	}
}

// TestDoReleasesOnce: whichever side takes the result at the moment of
// cancellation, a result that was made is returned or released, exactly
// once.
func TestDoReleasesOnce(t *testing.T) {
	for range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		var made, released atomic.Int32
		go cancel()
		_, err := Do(ctx, func() (int, error) { made.Add(1); return 1, nil }, func(int) { released.Add(1) })
		time.Sleep(2 * time.Millisecond) // an abandoned fn finishes
		for deadline := time.Now().Add(time.Second); err != nil && released.Load() < made.Load() && time.Now().Before(deadline); {
			time.Sleep(50 * time.Microsecond)
		}
		if err == nil && released.Load() != 0 || err != nil && released.Load() != made.Load() {
			t.Fatalf("err %v: made %d, released %d", err, made.Load(), released.Load())
		}
	}
}

func TestStoppedSaysWhatWasKept(t *testing.T) {
	if s := (&Stopped{Err: context.Canceled}).Error(); s != "interrupted: nothing was kept" {
		t.Errorf("%q", s)
	}
	s := &Stopped{Err: context.Canceled, Kept: "3 of 9 pairs are kept in o.partial"}
	if !errors.Is(s, context.Canceled) || s.Error() != "interrupted: 3 of 9 pairs are kept in o.partial; run the same command with --resume to continue" {
		t.Errorf("%q", s.Error())
	}
	s.Again = "run the same command again to continue"
	if s.Error() != "interrupted: 3 of 9 pairs are kept in o.partial; run the same command again to continue" {
		t.Errorf("%q", s.Error())
	}
}

// TestJournalledSaysWhatTheJournalKeeps: a cancellation names the records
// the journal holds, of how many when that is known (a run stopped while
// reading its data, resumed from a journal, does not know the total yet);
// other errors pass through.
func TestJournalledSaysWhatTheJournalKeeps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.partial")
	j, _, err := fsutil.OpenJournal(path, []byte("H"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := Journalled(context.Canceled, j, 0, 9, "pairs", "give --out"); err.Error() != "interrupted: nothing was kept (give --out)" {
		t.Errorf("empty journal: %q", err)
	}
	j.Append([]byte("a"), []byte("b"), []byte("c"))
	for total, want := range map[int]string{9: "3 of 9 pairs", 0: "3 pairs"} {
		err := Journalled(context.Canceled, j, 3, total, "pairs", "")
		if !strings.HasPrefix(err.Error(), "interrupted: "+want+" are kept in "+path+";") {
			t.Errorf("total %d: %q, want %q kept", total, err, want)
		}
	}
	other := errors.New("disk full")
	if err := Journalled(other, j, 3, 9, "pairs", ""); err != other {
		t.Errorf("a failure became %v", err)
	}
}
