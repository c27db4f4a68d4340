package tokenize

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fingerprint hashes the canonical JSON form of raw: the bytes that
// json.Marshal writes for the value json.Unmarshal reads from raw (object
// keys sorted, no insignificant whitespace, Go's escaping and number
// format), so formatting differences do not matter. It writes that form
// directly, without building the value: a 262k-token tokenizer.json takes a
// fraction of a second instead of seconds.
func fingerprint(raw []byte) (string, error) {
	c := canonicalizer{in: raw}
	out, err := c.value(make([]byte, 0, len(raw)+len(raw)/4))
	if err != nil {
		return "", err
	}
	if i := c.skipSpace(); i != len(raw) {
		return "", fmt.Errorf("byte %d: data after the JSON value", i)
	}
	sum := sha256.Sum256(out)
	return hex.EncodeToString(sum[:]), nil
}

type canonicalizer struct {
	in  []byte
	pos int
	// members is a stack shared by nested objects: an object's members sit
	// above those of the objects that contain it.
	members []member
}

func (c *canonicalizer) skipSpace() int {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return c.pos
		}
	}
	return c.pos
}

func (c *canonicalizer) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", c.pos, fmt.Sprintf(format, args...))
}

// value appends the canonical form of the value at c.pos to dst.
func (c *canonicalizer) value(dst []byte) ([]byte, error) {
	i := c.skipSpace()
	if i >= len(c.in) {
		return nil, c.errorf("unexpected end of JSON")
	}
	switch b := c.in[i]; {
	case b == '{':
		return c.object(dst)
	case b == '[':
		return c.array(dst)
	case b == '"':
		s, err := c.strBytes()
		if err != nil {
			return nil, err
		}
		return appendJSONString(dst, s), nil
	case b == 't' || b == 'f' || b == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(c.in[i:min(i+5, len(c.in))]), lit) {
				c.pos += len(lit)
				return append(dst, lit...), nil
			}
		}
		return nil, c.errorf("invalid literal")
	default:
		return c.number(dst)
	}
}

// member is an object member: its key (decoded), the key's first 8 bytes
// as a big-endian number (most comparisons stop there), and the position of
// its canonical value in the output.
type member struct {
	prefix     uint64
	key        []byte
	start, end int
}

func keyPrefix(k []byte) uint64 {
	var p [8]byte
	copy(p[:], k)
	return binary.BigEndian.Uint64(p[:])
}

// object appends the canonical form of the object at c.pos to dst: the
// members' values are appended as they come, then rewritten sorted by key.
func (c *canonicalizer) object(dst []byte) ([]byte, error) {
	c.pos++
	base, mbase := len(dst), len(c.members)
	defer func() { c.members = c.members[:mbase] }()
	for first := true; ; first = false {
		if c.skipSpace(); c.pos < len(c.in) && c.in[c.pos] == '}' && first {
			c.pos++
			break
		}
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return nil, c.errorf("expected an object key")
		}
		key, err := c.strBytes()
		if err != nil {
			return nil, err
		}
		if c.skipSpace(); c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return nil, c.errorf("expected ':'")
		}
		c.pos++
		start := len(dst)
		if dst, err = c.value(dst); err != nil {
			return nil, err
		}
		c.members = append(c.members, member{prefix: keyPrefix(key), key: key, start: start, end: len(dst)})
		if c.skipSpace(); c.pos < len(c.in) && c.in[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.pos >= len(c.in) || c.in[c.pos] != '}' {
			return nil, c.errorf("expected ',' or '}'")
		}
		c.pos++
		break
	}
	// json.Marshal sorts the keys; json.Unmarshal keeps the last of
	// duplicate keys (the larger start among equal keys).
	ms := c.members[mbase:]
	slices.SortFunc(ms, func(a, b member) int {
		if a.prefix != b.prefix {
			if a.prefix < b.prefix {
				return -1
			}
			return 1
		}
		if k := bytes.Compare(a.key, b.key); k != 0 {
			return k
		}
		return a.start - b.start
	})
	out := len(dst)
	dst = append(dst, '{')
	n := 0
	for i, m := range ms {
		if i+1 < len(ms) && bytes.Equal(ms[i+1].key, m.key) {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendJSONString(dst, m.key)
		dst = append(dst, ':')
		dst = append(dst, dst[m.start:m.end]...)
	}
	dst = append(dst, '}')
	// Move the sorted form down over the values.
	k := copy(dst[base:], dst[out:])
	return dst[:base+k], nil
}

func (c *canonicalizer) array(dst []byte) ([]byte, error) {
	c.pos++
	dst = append(dst, '[')
	for first := true; ; first = false {
		if c.skipSpace(); c.pos < len(c.in) && c.in[c.pos] == ']' && first {
			c.pos++
			break
		}
		if !first {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = c.value(dst); err != nil {
			return nil, err
		}
		if c.skipSpace(); c.pos < len(c.in) && c.in[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.pos >= len(c.in) || c.in[c.pos] != ']' {
			return nil, c.errorf("expected ',' or ']'")
		}
		c.pos++
		break
	}
	return append(dst, ']'), nil
}

// strBytes decodes the string at c.pos as json.Unmarshal does; without
// escapes the result shares the input.
func (c *canonicalizer) strBytes() ([]byte, error) {
	start := c.pos
	for j := start + 1; j < len(c.in); j++ {
		switch b := c.in[j]; {
		case b == '"':
			if s := c.in[start+1 : j]; utf8.Valid(s) {
				c.pos = j + 1
				return s, nil
			}
			return c.unquote(start, j+1)
		case b == '\\':
			return c.unquote(start, c.stringEnd(j))
		case b < 0x20:
			return nil, c.errorf("control character in string")
		}
	}
	return nil, c.errorf("unterminated string")
}

// unquote decodes the string c.in[start:end] with encoding/json (escapes,
// invalid UTF-8) and moves past it.
func (c *canonicalizer) unquote(start, end int) ([]byte, error) {
	var s string
	if err := json.Unmarshal(c.in[start:end], &s); err != nil {
		return nil, c.errorf("%v", err)
	}
	c.pos = end
	return []byte(s), nil
}

// stringEnd returns the index after the closing quote of the string whose
// first escape is at j.
func (c *canonicalizer) stringEnd(j int) int {
	for ; j < len(c.in); j++ {
		switch c.in[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(c.in)
}

// number appends the number at c.pos as json.Marshal writes a float64.
func (c *canonicalizer) number(dst []byte) ([]byte, error) {
	start := c.pos
	for c.pos < len(c.in) && strings.IndexByte("+-0123456789.eE", c.in[c.pos]) >= 0 {
		c.pos++
	}
	lit := string(c.in[start:c.pos])
	if isSmallInt(lit) {
		return append(dst, lit...), nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || !json.Valid(c.in[start:c.pos]) {
		return nil, fmt.Errorf("byte %d: invalid number %q", start, lit)
	}
	return appendJSONFloat(dst, f), nil
}

// isSmallInt reports whether lit is an integer json.Marshal writes unchanged.
func isSmallInt(lit string) bool {
	if lit == "" || len(lit) > 15 || (lit[0] == '0' && len(lit) > 1) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] < '0' || lit[i] > '9' {
			return false
		}
	}
	return true
}

// appendJSONFloat writes f as encoding/json writes a float64.
func appendJSONFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendJSONString writes s as encoding/json writes a string (HTML
// characters escaped; s is valid UTF-8).
func appendJSONString(dst []byte, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
