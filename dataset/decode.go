package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// decodeObject decodes one JSON object. Numbers stay json.Number so that
// ids keep their text.
func decodeObject(b []byte) (map[string]any, *RecordError) {
	if !utf8.Valid(b) {
		return nil, &RecordError{Err: fmt.Errorf("invalid UTF-8 at byte %d of the record", invalidUTF8(b)+1)}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &RecordError{Err: jsonError(err)}
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, &RecordError{Err: fmt.Errorf("invalid JSON: unexpected text after byte %d", end)}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &RecordError{Err: fmt.Errorf("the record is %s, want a JSON object", describe(v))}
	}
	return m, nil
}

// jsonError rewords a decoding error.
func jsonError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON: %w", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("invalid JSON: the record ends early")
	}
	return err
}

// invalidUTF8 returns the offset of the first byte of b that is not valid
// UTF-8.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// describe names the JSON type of a decoded value, for messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// parquetRecords reads the rows of a Parquet file as records.
func parquetRecords(r io.ReaderAt, size int64) iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		f, err := parquet.OpenFile(r, size)
		if err != nil {
			yield(record{}, fmt.Errorf("parquet: %w", err))
			return
		}
		rows := parquet.NewReader(f)
		defer rows.Close()
		for n := 1; ; n++ {
			m := map[string]any{}
			if err := readRow(rows, &m); err == io.EOF {
				return
			} else if err != nil {
				yield(record{}, fmt.Errorf("parquet row %d: %w", n, err))
				return
			}
			rec := record{num: n, line: n}
			if v, err := normalize(m, ""); err != nil {
				rec.err = err
			} else {
				rec.fields = v.(map[string]any)
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// readRow reads one row, turning a panic of the Parquet library (it
// panics on some malformed files) into an error.
func readRow(rows *parquet.Reader, m *map[string]any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed row: %v", p)
		}
	}()
	return rows.Read(m)
}

// normalize turns a value read from Parquet into the types JSON decoding
// gives (numbers as json.Number, byte arrays as strings), checking that
// text is UTF-8. path names the value in errors.
func normalize(v any, path string) (any, *RecordError) {
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) {
			return nil, fieldErr(path, "invalid UTF-8 at byte %d", invalidUTF8([]byte(v))+1)
		}
		return v, nil
	case []byte:
		return normalize(string(v), path)
	case map[string]any:
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			n, err := normalize(e, p)
			if err != nil {
				return nil, err
			}
			v[k] = n
		}
		return v, nil
	case []any:
		for i, e := range v {
			n, err := normalize(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			v[i] = n
		}
		return v, nil
	case int:
		return json.Number(strconv.FormatInt(int64(v), 10)), nil
	case int8:
		return json.Number(strconv.FormatInt(int64(v), 10)), nil
	case int16:
		return json.Number(strconv.FormatInt(int64(v), 10)), nil
	case int32:
		return json.Number(strconv.FormatInt(int64(v), 10)), nil
	case int64:
		return json.Number(strconv.FormatInt(v, 10)), nil
	case uint:
		return json.Number(strconv.FormatUint(uint64(v), 10)), nil
	case uint8:
		return json.Number(strconv.FormatUint(uint64(v), 10)), nil
	case uint16:
		return json.Number(strconv.FormatUint(uint64(v), 10)), nil
	case uint32:
		return json.Number(strconv.FormatUint(uint64(v), 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(v, 10)), nil
	case float32:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32)), nil
	case float64:
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64)), nil
	}
	return v, nil // nil, bool and others: parsing reports a wrong type
}
