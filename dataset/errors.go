package dataset

import (
	"errors"
	"fmt"
	"strconv"
)

// RecordError is a record that cannot be used.
type RecordError struct {
	File string
	// Line is the record's 1-based position, as in Pair.Line.
	Line int
	// Field is the field at fault, with list indexes where they help
	// ("chosen", "prompt[2].role"); "" when the record as a whole is bad.
	Field string
	Err   error

	// Kind is the file's kind; it decides how the position is written.
	Kind Kind
	// TextLine is, in a JSON array, the line of the file where the record
	// starts (0 when unknown).
	TextLine int
}

// Error returns "FILE:LINE: field "x": message" for JSON Lines,
// "FILE:TEXTLINE: record N: ..." for JSON arrays and "FILE: row N: ..."
// for Parquet.
func (e *RecordError) Error() string {
	s := e.File
	switch {
	case e.Kind == JSON && e.TextLine > 0:
		s += ":" + strconv.Itoa(e.TextLine) + ": record " + strconv.Itoa(e.Line)
	case e.Kind == JSON:
		s += ": record " + strconv.Itoa(e.Line)
	case e.Kind == Parquet:
		s += ": row " + strconv.Itoa(e.Line)
	default:
		s += ":" + strconv.Itoa(e.Line)
	}
	s += ": "
	if e.Field != "" {
		s += "field " + strconv.Quote(e.Field) + ": "
	}
	return s + e.reason()
}

// Unwrap returns the underlying error.
func (e *RecordError) Unwrap() error { return e.Err }

func (e *RecordError) reason() string {
	if e.Err == nil {
		return "invalid record"
	}
	return e.Err.Error()
}

// fieldErr is a RecordError whose position collect fills in.
func fieldErr(field, format string, args ...any) *RecordError {
	return &RecordError{Field: field, Err: fmt.Errorf(format, args...)}
}

// position writes where a record is, for messages that point at another
// record ("first at line 3").
func position(kind Kind, line int) string {
	switch kind {
	case JSON:
		return "record " + strconv.Itoa(line)
	case Parquet:
		return "row " + strconv.Itoa(line)
	}
	return "line " + strconv.Itoa(line)
}

// asRecordError returns err as a *RecordError, wrapping a plain error as a
// whole-record error.
func asRecordError(err error) *RecordError {
	var re *RecordError
	if errors.As(err, &re) {
		return re
	}
	return &RecordError{Err: err}
}
