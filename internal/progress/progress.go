// Package progress draws a progress line on stderr for long runs: redrawn
// in place on a terminal, a log line every few seconds otherwise.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Bar reports done/total units of work.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	unit     string
	total    int
	done     int
	base     int
	start    time.Time
	last     time.Time
	tty      bool
	every    time.Duration
	finished bool
}

// New makes a bar writing to w; a nil w makes a bar that prints nothing.
func New(w io.Writer, label, unit string, total int) *Bar {
	b := &Bar{w: w, label: label, unit: unit, total: total, start: time.Now(), every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty, b.every = true, 200*time.Millisecond
		}
	}
	return b
}

// Start sets the units already done (for example by a resumed run) without
// counting them towards the rate.
func (b *Bar) Start(done int) {
	b.mu.Lock()
	b.done, b.base = done, done
	b.mu.Unlock()
}

// Add records n more units done.
func (b *Bar) Add(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if b.w == nil {
		return
	}
	now := time.Now()
	if now.Sub(b.last) < b.every && b.done < b.total {
		return
	}
	b.last = now
	el := now.Sub(b.start).Seconds()
	rate := float64(b.done-b.base) / max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(b.total-b.done)/rate) * time.Second).Round(time.Second).String()
	}
	pct := 100.0
	if b.total > 0 {
		pct = 100 * float64(b.done) / float64(b.total)
	}
	line := fmt.Sprintf("%s %d/%d %s (%.0f%%) %.1f %s/s, eta %s", b.label, b.done, b.total, b.unit, pct, rate, b.unit, eta)
	if b.tty {
		fmt.Fprintf(b.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(b.w, line)
	}
}

// Finish ends the line on a terminal.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && !b.finished && b.w != nil {
		fmt.Fprintln(b.w)
	}
	b.finished = true
}
