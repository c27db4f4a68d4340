package jinja

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

type tokType uint8

const (
	tText tokType = iota
	tNumber
	tString
	tIdent
	tEquals
	tOpenParen
	tCloseParen
	tOpenStmt
	tCloseStmt
	tOpenExpr
	tCloseExpr
	tOpenBracket
	tCloseBracket
	tOpenCurly
	tCloseCurly
	tComma
	tDot
	tColon
	tPipe
	tAdditive
	tMultiplicative
	tPower
	tComparison
	tUnary
	tComment
)

type token struct {
	val string
	typ tokType
}

// symbols are matched in this order, so that "<=" wins over "<", "**" over
// "*" and "//" over "/".
var symbols = []struct {
	s   string
	typ tokType
}{
	{"{%", tOpenStmt}, {"%}", tCloseStmt}, {"{{", tOpenExpr}, {"}}", tCloseExpr},
	{"(", tOpenParen}, {")", tCloseParen}, {"{", tOpenCurly}, {"}", tCloseCurly},
	{"[", tOpenBracket}, {"]", tCloseBracket}, {",", tComma}, {".", tDot}, {":", tColon}, {"|", tPipe},
	{"<=", tComparison}, {">=", tComparison}, {"==", tComparison}, {"!=", tComparison},
	{"<", tComparison}, {">", tComparison},
	{"+", tAdditive}, {"-", tAdditive}, {"~", tAdditive},
	{"**", tPower}, {"*", tMultiplicative}, {"//", tMultiplicative}, {"/", tMultiplicative}, {"%", tMultiplicative},
	{"=", tEquals},
}

var escapes = map[byte]string{'n': "\n", 't': "\t", 'r': "\r", 'b': "\b", 'f': "\f", 'v': "\v", '\'': "'", '"': "\"", '\\': "\\"}

// isSpace is JavaScript's \s: ASCII whitespace, the Unicode space
// separators, the line and paragraph separators and the byte order mark.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

const jsSpaceClass = `[\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]`

// generationTag is transformers' {% generation %} marker, which renders nothing.
var generationTag = regexp.MustCompile(`(` + jsSpaceClass + `*)\{%(-?)` + jsSpaceClass + `*(?:end)?generation` + jsSpaceClass + `*(-?)%\}(` + jsSpaceClass + `*)`)

// preprocess applies what transformers configures: one trailing newline
// dropped, lstrip_blocks and trim_blocks, and the generation tag removed.
func preprocess(src string) string {
	src = strings.TrimSuffix(src, "\n")
	// lstrip_blocks: spaces and tabs from a line start to a {% or {# go.
	var b strings.Builder
	lineStart := true
	for i := 0; i < len(src); {
		if lineStart {
			j := i
			for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
			if j+1 < len(src) && src[j] == '{' && (src[j+1] == '#' || src[j+1] == '%' || src[j+1] == '-') {
				i = j
			}
		}
		r, n := utf8.DecodeRuneInString(src[i:])
		lineStart = r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029
		b.WriteString(src[i : i+n])
		i += n
	}
	src = b.String()
	// trim_blocks: the newline right after %}, #} (or -}) goes.
	b.Reset()
	for i := 0; i < len(src); i++ {
		b.WriteByte(src[i])
		if i+2 < len(src) && (src[i] == '#' || src[i] == '%' || src[i] == '-') && src[i+1] == '}' && src[i+2] == '\n' {
			b.WriteByte('}')
			i += 2
		}
	}
	return generationTag.ReplaceAllStringFunc(b.String(), func(m string) string {
		g := generationTag.FindStringSubmatch(m)
		out := ""
		if g[2] == "" {
			out += g[1]
		}
		if g[3] == "" {
			out += g[4]
		}
		return out
	})
}

type lexer struct {
	src    string
	pos    int
	tokens []token
}

// lex turns a template into tokens as @huggingface/jinja does.
func lex(source string) ([]token, error) {
	l := &lexer{src: preprocess(source)}
	if err := l.run(); err != nil {
		return nil, err
	}
	return l.tokens, nil
}

func (l *lexer) last() (tokType, bool) {
	if len(l.tokens) == 0 {
		return 0, false
	}
	return l.tokens[len(l.tokens)-1].typ, true
}

func (l *lexer) has(s string) bool { return strings.HasPrefix(l.src[l.pos:], s) }

func (l *lexer) push(val string, typ tokType) { l.tokens = append(l.tokens, token{val, typ}) }

// stripTrailing trims the text before a {%- or {{-.
func (l *lexer) stripTrailing() {
	if n := len(l.tokens); n > 0 && l.tokens[n-1].typ == tText {
		l.tokens[n-1].val = strings.TrimRightFunc(l.tokens[n-1].val, isSpace)
		if l.tokens[n-1].val == "" {
			l.tokens = l.tokens[:n-1]
		}
	}
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		if !isSpace(r) {
			return
		}
		l.pos += n
	}
}

func (l *lexer) run() error {
	curly := 0
	for l.pos < len(l.src) {
		if last, ok := l.last(); !ok || last == tCloseStmt || last == tCloseExpr || last == tComment {
			start := l.pos
			for l.pos < len(l.src) && !(l.src[l.pos] == '{' && l.pos+1 < len(l.src) && strings.IndexByte("%{#", l.src[l.pos+1]) >= 0) {
				l.pos++
			}
			if l.pos > start {
				l.push(l.src[start:l.pos], tText)
				continue
			}
		}
		switch {
		case l.has("{#"):
			if err := l.comment(); err != nil {
				return err
			}
			continue
		case l.has("{%-"):
			l.stripTrailing()
			l.push("{%", tOpenStmt)
			l.pos += 3
			continue
		case l.has("{{-"):
			l.stripTrailing()
			l.push("{{", tOpenExpr)
			curly = 0
			l.pos += 3
			continue
		}
		l.skipSpace()
		switch {
		case l.has("-%}"):
			l.push("%}", tCloseStmt)
			l.pos += 3
			l.skipSpace()
			continue
		case l.has("-}}"):
			l.push("}}", tCloseExpr)
			l.pos += 3
			l.skipSpace()
			continue
		}
		if l.pos >= len(l.src) {
			return fmt.Errorf("unexpected end of input")
		}
		done, err := l.operand(&curly)
		if err != nil {
			return err
		}
		if !done {
			return fmt.Errorf("unexpected character: %q", l.src[l.pos:l.pos+1])
		}
	}
	return nil
}

// operand lexes one token inside a tag; false when nothing matched.
func (l *lexer) operand(curly *int) (bool, error) {
	c := l.src[l.pos]
	if c == '-' || c == '+' {
		last, ok := l.last()
		if !ok || last == tText {
			return false, fmt.Errorf("unexpected character: %c", c)
		}
		switch last {
		case tIdent, tNumber, tString, tCloseParen, tCloseBracket:
		default: // a sign: -1, -x
			l.pos++
			num := l.digits()
			if num != "" && l.pos+1 < len(l.src) && l.src[l.pos] == '.' && isDigit(l.src[l.pos+1]) {
				l.pos++
				num += "." + l.digits()
			}
			if num != "" {
				l.push(string(c)+num, tNumber)
			} else {
				l.push(string(c), tUnary)
			}
			return true, nil
		}
	}
	for _, s := range symbols {
		if s.typ == tCloseExpr && *curly > 0 {
			continue
		}
		if l.has(s.s) {
			l.push(s.s, s.typ)
			switch s.typ {
			case tOpenExpr:
				*curly = 0
			case tOpenCurly:
				*curly++
			case tCloseCurly:
				*curly--
			}
			l.pos += len(s.s)
			return true, nil
		}
	}
	switch {
	case c == '\'' || c == '"':
		l.pos++
		s, err := l.stringLit(c)
		if err != nil {
			return false, err
		}
		l.push(s, tString)
		l.pos++
	case isDigit(c):
		num := l.digits()
		if last, _ := l.last(); last != tDot && l.pos+1 < len(l.src) && l.src[l.pos] == '.' && isDigit(l.src[l.pos+1]) {
			l.pos++
			num += "." + l.digits()
		}
		l.push(num, tNumber)
	case isWordByte(c):
		start := l.pos
		for l.pos < len(l.src) && isWordByte(l.src[l.pos]) {
			l.pos++
		}
		l.push(l.src[start:l.pos], tIdent)
	default:
		return false, nil
	}
	return true, nil
}

func (l *lexer) digits() string {
	start := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	return l.src[start:l.pos]
}

// stringLit reads up to the closing quote q, decoding escapes; like the
// reference, a literal that reaches the end of the template is an error.
func (l *lexer) stringLit(q byte) (string, error) {
	var units []uint16
	for l.pos < len(l.src) && l.src[l.pos] != q {
		if l.src[l.pos] == '\\' {
			l.pos++
			if l.pos >= len(l.src) {
				return "", fmt.Errorf("unexpected end of input")
			}
			e := l.src[l.pos]
			l.pos++
			if e == 'x' || e == 'u' {
				n := 2
				if e == 'u' {
					n = 4
				}
				h := l.src[l.pos:min(l.pos+n, len(l.src))]
				v, err := strconv.ParseUint(h, 16, 16)
				if len(h) != n || err != nil || strings.ContainsAny(h, "+-_") {
					return "", fmt.Errorf("invalid hexadecimal escape sequence: \\%c%s", e, h)
				}
				units = append(units, uint16(v))
				l.pos += n
				continue
			}
			s, ok := escapes[e]
			if !ok {
				return "", fmt.Errorf("unexpected escaped character: %c", e)
			}
			units = append(units, uint16(s[0]))
			continue
		}
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		units = utf16.AppendRune(units, r)
		l.pos += n
		if l.pos >= len(l.src) {
			return "", fmt.Errorf("unexpected end of input")
		}
	}
	if l.pos >= len(l.src) {
		return "", fmt.Errorf("unexpected end of input")
	}
	return string(utf16.Decode(units)), nil
}

func (l *lexer) comment() error {
	l.pos += 2
	stripBefore := l.pos < len(l.src) && l.src[l.pos] == '-'
	if stripBefore {
		l.pos++
	}
	end := strings.Index(l.src[l.pos:], "#}")
	if end < 0 {
		return fmt.Errorf("missing end of comment tag")
	}
	text := l.src[l.pos : l.pos+end]
	stripAfter := strings.HasSuffix(text, "-")
	text = strings.TrimSuffix(text, "-")
	if stripBefore {
		l.stripTrailing()
	}
	l.push(text, tComment)
	l.pos += end + 2
	if stripAfter {
		l.skipSpace()
	}
	return nil
}
