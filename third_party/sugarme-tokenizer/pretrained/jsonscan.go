package pretrained

// dpokit patch (see NOTES.md): a minimal JSON scanner for loading large
// tokenizer.json files. encoding/json decodes a 262k-token vocabulary and its
// half a million merges into interface values in seconds; the scanner walks
// the bytes once, hands the small sections to encoding/json, and reads the
// vocabulary and merges directly (fastbpe.go).

import (
	"encoding/json"
	"fmt"
)

// scanError names the byte offset where the JSON is malformed.
func scanError(i int, what string) error {
	return fmt.Errorf("tokenizer.json: byte %d: %s", i, what)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// scanString returns the index after the string that starts at b[i] (a
// quote) and whether it holds escapes.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	if i >= len(b) || b[i] != '"' {
		return 0, false, scanError(i, "expected a string")
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j + 1, escaped, nil
		case '\\':
			escaped = true
			j++
		}
	}
	return 0, false, scanError(i, "unterminated string")
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, scanError(i, "expected a value")
	}
	switch b[i] {
	case '"':
		end, _, err := scanString(b, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _, err := scanString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, scanError(i, "unterminated object or array")
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
		j++
	}
	if j == i {
		return 0, scanError(i, "expected a value")
	}
	return j, nil
}

// decodeString returns the string b[i:end] (quotes included) decodes to.
func decodeString(b []byte, i, end int, escaped bool) (string, error) {
	if !escaped {
		return string(b[i+1 : end-1]), nil
	}
	var s string
	if err := json.Unmarshal(b[i:end], &s); err != nil {
		return "", scanError(i, err.Error())
	}
	return s, nil
}

// eachMember calls fn with the raw key (quotes included) and raw value of
// each member of the object b[i:], and returns the index after it.
func eachMember(b []byte, i int, fn func(key []byte, keyEscaped bool, val []byte) error) (int, error) {
	return eachMemberAt(b, i, func(key []byte, escaped bool, vStart int) (int, error) {
		vEnd, err := skipValue(b, vStart)
		if err != nil {
			return 0, err
		}
		return vEnd, fn(key, escaped, b[vStart:vEnd])
	})
}

// eachMemberAt calls fn with the raw key of each member of the object b[i:]
// and the index where its value starts; fn reads the value and returns the
// index after it.
func eachMemberAt(b []byte, i int, fn func(key []byte, keyEscaped bool, vStart int) (int, error)) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '{' {
		return 0, scanError(i, "expected an object")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		kEnd, escaped, err := scanString(b, i)
		if err != nil {
			return 0, err
		}
		j := skipSpace(b, kEnd)
		if j >= len(b) || b[j] != ':' {
			return 0, scanError(j, "expected ':'")
		}
		vEnd, err := fn(b[i:kEnd], escaped, skipSpace(b, j+1))
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) {
			return 0, scanError(i, "unterminated object")
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return 0, scanError(i, "expected ',' or '}'")
		}
		i = skipSpace(b, i+1)
	}
}

// eachElementAt calls fn with the index where each element of the array
// b[i:] starts; fn reads the element and returns the index after it.
func eachElementAt(b []byte, i int, fn func(vStart int) (int, error)) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '[' {
		return 0, scanError(i, "expected an array")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := fn(i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, scanError(i, "unterminated array")
		}
		if b[i] == ']' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return 0, scanError(i, "expected ',' or ']'")
		}
		i = skipSpace(b, i+1)
	}
}

// topLevel calls fn for each member of the tokenizer.json object and checks
// that nothing follows it.
func topLevel(b []byte, fn func(key string, vStart int) (int, error)) error {
	end, err := eachMemberAt(b, 0, func(key []byte, escaped bool, vStart int) (int, error) {
		k, err := decodeString(key, 0, len(key), escaped)
		if err != nil {
			return 0, err
		}
		return fn(k, vStart)
	})
	if err != nil {
		return err
	}
	if end = skipSpace(b, end); end != len(b) {
		return scanError(end, "data after the top-level object")
	}
	return nil
}
