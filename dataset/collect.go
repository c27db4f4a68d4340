package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ErrNoRecords is returned, wrapped with the file name, for a file that
// holds no records at all.
var ErrNoRecords = errors.New("no records")

// parseFunc turns a record's fields into an item, given its id and line.
type parseFunc[T any] func(fields map[string]any, id string, line int) (T, error)

// firstID is where an id was first seen.
type firstID struct {
	line      int
	defaulted bool
}

// collect reads every record of src with parse, checking ids, and either
// stops at the first bad record or, with skip, lists it.
func collect[T any](src *source, skip bool, parse parseFunc[T]) ([]T, []Skipped, error) {
	var (
		items   []T
		skipped []Skipped
		seen    = map[string]firstID{}
		n       int
	)
	for rec, err := range src.records {
		if err != nil {
			return nil, nil, src.fatal(err)
		}
		n++
		id, defaulted, rerr := "", false, rec.err
		if rerr == nil {
			id, defaulted, rerr = readID(rec.fields, rec.num)
		}
		if rerr == nil {
			if first, dup := seen[id]; dup {
				rerr = fieldErr("id", "duplicate id %q (first at %s)%s", id, position(src.kind, first.line), defaultNote(first.defaulted || defaulted))
			}
		}
		if rerr == nil {
			item, err := parse(rec.fields, id, rec.line)
			if err == nil {
				seen[id] = firstID{rec.line, defaulted}
				items = append(items, item)
				continue
			}
			rerr = asRecordError(err)
		}
		rerr.File, rerr.Line, rerr.Kind, rerr.TextLine = src.name, rec.line, src.kind, rec.textLine
		if !skip {
			return nil, nil, rerr
		}
		skipped = append(skipped, Skipped{Line: rec.line, ID: id, Field: rerr.Field, Reason: rerr.reason()})
	}
	if n == 0 {
		return nil, nil, fmt.Errorf("%s: %w", src.name, ErrNoRecords)
	}
	return items, skipped, nil
}

func defaultNote(defaulted bool) string {
	if defaulted {
		return "; a record without an id gets its record number"
	}
	return ""
}

// readID returns the record's id, or its record number when it has none.
func readID(fields map[string]any, num int) (id string, defaulted bool, err *RecordError) {
	v, ok := fields["id"]
	if !ok || v == nil {
		return strconv.Itoa(num), true, nil
	}
	switch v := v.(type) {
	case string:
		if v == "" {
			return "", false, fieldErr("id", "empty")
		}
		return v, false, nil
	case json.Number:
		return v.String(), false, nil
	}
	return "", false, fieldErr("id", "%s, want a string or a number", describe(v))
}
