// Package interrupt stops a run promptly on Ctrl-C or SIGTERM, whatever
// phase it is in, and says truthfully what it kept.
//
// Phases that do not look at a context themselves (reading and tokenizing
// a dataset, ONNX Runtime creating a session in native code) run under
// [Do], which returns as soon as the context is done; the abandoned phase
// ends with the process. A job returns a [Stopped] error naming what is
// kept for --resume, or saying that nothing was.
package interrupt

import (
	"context"
	"errors"
	"fmt"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// Stopped is a run stopped by its context (Ctrl-C, SIGTERM).
type Stopped struct {
	Err  error  // the context's error
	Kept string // what was kept and where, e.g. "12 of 40 pairs are kept in out.jsonl.partial"; "" when nothing was
	Hint string // how to keep work another time, when nothing was kept (e.g. "give --out")
	// Again says how to continue what was kept; "" is "run the same
	// command with --resume to continue".
	Again string
}

func (e *Stopped) Error() string {
	if e.Kept != "" {
		again := e.Again
		if again == "" {
			again = "run the same command with --resume to continue"
		}
		return "interrupted: " + e.Kept + "; " + again
	}
	msg := "interrupted: nothing was kept"
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *Stopped) Unwrap() error { return e.Err }

// Do runs fn and returns its result, or ctx's error as soon as ctx is
// done. fn then goes on in the background; when it returns, release (if
// not nil) is given its result, so that what it opened is closed.
func Do[T any](ctx context.Context, fn func() (T, error), release func(T)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result) // unbuffered: exactly one side takes the result
	abandoned := make(chan struct{})
	go func() {
		v, err := fn()
		select {
		case ch <- result{v, err}:
		case <-abandoned:
			if err == nil && release != nil {
				release(v)
			}
		}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		close(abandoned)
		// fn may have finished at the same moment: then its result is
		// waiting here, and must still be released.
		select {
		case r := <-ch:
			if r.err == nil && release != nil {
				release(r.v)
			}
		default:
		}
		return zero, ctx.Err()
	}
}

// Journalled returns err as it is unless it is a cancellation; then a
// *Stopped saying what journal keeps ("done of total units are kept in
// PATH"; "done units" when total is not known yet, 0) or, when it keeps
// nothing (nil, or no record), that nothing was, with hint.
func Journalled(err error, journal *fsutil.Journal, done, total int, unit, hint string) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s := &Stopped{Err: err, Hint: hint}
	if journal != nil && journal.Records() > 0 {
		of := fmt.Sprintf("%d of %d", done, total)
		if total <= 0 {
			of = fmt.Sprint(done)
		}
		s.Kept, s.Hint = fmt.Sprintf("%s %s are kept in %s", of, unit, journal.Path()), ""
	}
	return s
}
