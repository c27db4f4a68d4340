package dataset

import "fmt"

// First returns the fields of the first record of the file at path, for
// telling what a file holds before reading it (IsRanking, DetectBenchmark).
// A first record that cannot be decoded is an error naming file and line.
func First(path string, kind Kind) (map[string]any, error) {
	src, err := open(path, kind)
	if err != nil {
		return nil, err
	}
	defer src.close()
	for rec, err := range src.records {
		if err != nil {
			return nil, src.fatal(err)
		}
		if rec.err != nil {
			rec.err.File, rec.err.Line, rec.err.Kind, rec.err.TextLine = src.name, rec.line, src.kind, rec.textLine
			return nil, rec.err
		}
		return rec.fields, nil
	}
	return nil, fmt.Errorf("%s: %w", src.name, ErrNoRecords)
}
