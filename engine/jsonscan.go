package engine

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/tidwall/gjson"
)

// scanInput checks untrusted JSON text (an event, an inbound payload) in
// one pass, without recursion, and in time linear in its length: syntax,
// the limits of limits.go, UTF-8 and numbers. It returns the text to read
// further, which is s itself unless a number had to be rewritten in
// canonical form (1.0 → 1, 1e2 → 100, -0 → 0), or an *Error with the JSON
// pointer of the offending value.
func scanInput(s string) (string, error) {
	if len(s) > MaxInputBytes {
		return "", &Error{Kind: KindInvalidEvent, Code: CodeTooLarge,
			Message: fmt.Sprintf("the input is larger than %d bytes, the most an event or payload may be (docs/limits.md)", MaxInputBytes)}
	}
	sc := scanner{s: s}
	if err := sc.run(); err != nil {
		if err.Code == CodeMalformedJSON {
			if _, jerr := decodeJSON([]byte(s)); jerr != nil {
				return "", jerr
			}
		}
		return "", err
	}
	if sc.fixes == nil {
		return s, nil
	}
	return sc.rewrite(), nil
}

// frame is one open object or array: for an array the index of the
// element being read, for an object the span of the current key.
type frame struct {
	array    bool
	escaped  bool // the key has escapes
	index    int
	keyStart int
	keyEnd   int
}

// numberFix replaces the number at s[start:end] by text.
type numberFix struct {
	start, end int
	text       string
}

type scanner struct {
	s     string
	i     int
	depth int
	stack [MaxDepth]frame
	fixes []numberFix
}

// errSyntax marks malformed input; scanInput asks encoding/json for the
// message with line and column.
var errSyntax = &Error{Kind: KindInvalidEvent, Code: CodeMalformedJSON, Message: "the input is not valid JSON"}

func (sc *scanner) run() *Error {
	for {
		if err := sc.value(); err != nil {
			return err
		}
		for {
			sc.skipSpace()
			if sc.depth == 0 {
				if sc.i != len(sc.s) {
					return errSyntax
				}
				return nil
			}
			more, err := sc.next()
			if err != nil {
				return err
			}
			if more {
				break
			}
		}
	}
}

// next reads what follows a value inside the innermost container: a comma
// (more is true: a value follows, after its key in an object) or the
// container's end.
func (sc *scanner) next() (more bool, err *Error) {
	if sc.i >= len(sc.s) {
		return false, errSyntax
	}
	f := &sc.stack[sc.depth-1]
	switch c := sc.s[sc.i]; {
	case c == ',':
		sc.i++
		if f.array {
			f.index++
			if f.index >= MaxArrayLen {
				return false, sc.fail(CodeArrayTooLong, fmt.Sprintf("the array has more than %d elements", MaxArrayLen), sc.depth-1)
			}
			return true, nil
		}
		return true, sc.key(f)
	case c == ']' && f.array, c == '}' && !f.array:
		sc.i++
		sc.depth--
		return false, nil
	}
	return false, errSyntax
}

// value reads one value; for an object or array, only its opening (and,
// in an object, its first key).
func (sc *scanner) value() *Error {
	sc.skipSpace()
	if sc.i >= len(sc.s) {
		return errSyntax
	}
	switch c := sc.s[sc.i]; c {
	case '{', '[':
		if sc.depth == MaxDepth {
			return sc.fail(CodeTooDeep, fmt.Sprintf("objects and arrays nest deeper than %d levels", MaxDepth), sc.depth)
		}
		sc.i++
		sc.stack[sc.depth] = frame{array: c == '['}
		sc.depth++
		sc.skipSpace()
		if sc.i < len(sc.s) && sc.s[sc.i] == c+2 { // ] is [+2, } is {+2
			sc.i++
			sc.depth--
			return nil
		}
		if c == '{' {
			if err := sc.key(&sc.stack[sc.depth-1]); err != nil {
				return err
			}
		}
		return sc.value()
	case '"':
		_, _, err := sc.str(sc.depth)
		return err
	case 't':
		return sc.literal("true")
	case 'f':
		return sc.literal("false")
	case 'n':
		return sc.literal("null")
	}
	return sc.number()
}

// key reads an object's key and the colon after it; the value follows.
func (sc *scanner) key(f *frame) *Error {
	sc.skipSpace()
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return errSyntax
	}
	start := sc.i
	_, escaped, err := sc.str(sc.depth - 1)
	if err != nil {
		return err
	}
	f.keyStart, f.keyEnd, f.escaped = start, sc.i, escaped
	sc.skipSpace()
	if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
		return errSyntax
	}
	sc.i++
	return nil
}

func (sc *scanner) literal(word string) *Error {
	if !strings.HasPrefix(sc.s[sc.i:], word) {
		return errSyntax
	}
	sc.i += len(word)
	return nil
}

func (sc *scanner) skipSpace() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// str reads a string at sc.i; at is the depth of the pointer its errors
// name (the string's parent, for a key). It reports the string's raw span
// end and whether it has escapes.
func (sc *scanner) str(at int) (end int, escaped bool, err *Error) {
	start := sc.i
	i := start + 1
	for i < len(sc.s) {
		c := sc.s[i]
		switch {
		case c == '"':
			sc.i = i + 1
			if sc.i-start > MaxStringBytes {
				return 0, false, sc.fail(CodeStringTooLong, fmt.Sprintf("the string is %d bytes long, more than the %d allowed", sc.i-start-2, MaxStringBytes), at)
			}
			return sc.i, escaped, nil
		case c < 0x20:
			return 0, false, errSyntax
		case c == '\\':
			escaped = true
			n, bad := escapeLen(sc.s[i:])
			if n == 0 {
				return 0, false, errSyntax
			}
			if bad {
				return 0, false, sc.fail(CodeInvalidUTF8, "the string escapes half of a UTF-16 surrogate pair, which is no character", at)
			}
			i += n
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(sc.s[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, sc.fail(CodeInvalidUTF8, fmt.Sprintf("the string is not valid UTF-8 (byte 0x%02X at offset %d of the input)", c, i), at)
			}
			i += size
		}
	}
	return 0, false, errSyntax
}

// escapeLen returns the length of the escape at the start of s (0 when it
// is malformed), and whether it is half of a surrogate pair.
func escapeLen(s string) (n int, lone bool) {
	if len(s) < 2 {
		return 0, false
	}
	switch s[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, false
	case 'u':
	default:
		return 0, false
	}
	r, ok := hex4(s[2:])
	if !ok {
		return 0, false
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 6, true
	case r >= 0xD800 && r <= 0xDBFF:
		if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if lo, ok := hex4(s[8:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				return 12, false
			}
		}
		return 6, true
	}
	return 6, false
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number; one not in canonical form is noted in sc.fixes.
func (sc *scanner) number() *Error {
	start := sc.i
	i := start
	if i < len(sc.s) && sc.s[i] == '-' {
		i++
	}
	intStart := i
	switch {
	case i < len(sc.s) && sc.s[i] == '0':
		i++
	case i < len(sc.s) && '1' <= sc.s[i] && sc.s[i] <= '9':
		i = digits(sc.s, i)
	default:
		return errSyntax
	}
	intDigits := i - intStart
	plain := true
	if i < len(sc.s) && sc.s[i] == '.' {
		if j := digits(sc.s, i+1); j > i+1 {
			i, plain = j, false
		} else {
			return errSyntax
		}
	}
	if i < len(sc.s) && (sc.s[i] == 'e' || sc.s[i] == 'E') {
		j := i + 1
		if j < len(sc.s) && (sc.s[j] == '+' || sc.s[j] == '-') {
			j++
		}
		k := digits(sc.s, j)
		if k == j {
			return errSyntax
		}
		i, plain = k, false
	}
	sc.i = i
	if plain && intDigits < 19 && sc.s[start:i] != "-0" {
		return nil // a canonical integer inside int64
	}
	text, ok, why := canonicalNumber(sc.s[start:i])
	if !ok {
		return sc.fail(CodeNumberOutOfRange, why, sc.depth)
	}
	if text != sc.s[start:i] {
		sc.fixes = append(sc.fixes, numberFix{start: start, end: i, text: text})
	}
	return nil
}

func digits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// canonicalNumber returns the canonical text of a valid JSON number: an
// integer (whatever its notation) in decimal without sign for zero, other
// numbers as written. ok is false, with the reason, for an integer outside
// MinInteger..MaxInteger or a number float64 cannot hold.
func canonicalNumber(n string) (text string, ok bool, why string) {
	if exp := exponentOf(n); exp > maxExponent || exp < -maxExponent {
		return "", false, fmt.Sprintf("the number %s is out of range (exponent beyond ±%d)", clipNumber(n), maxExponent)
	}
	r, parsed := new(big.Rat).SetString(n)
	if !parsed {
		return "", false, fmt.Sprintf("the number %s cannot be read", clipNumber(n))
	}
	if r.IsInt() {
		i := r.Num()
		if !i.IsInt64() {
			return "", false, fmt.Sprintf("the integer %s is outside the range %d..%d", clipNumber(n), int64(MinInteger), int64(MaxInteger))
		}
		return strconv.FormatInt(i.Int64(), 10), true, ""
	}
	if f, _ := r.Float64(); math.IsInf(f, 0) {
		return "", false, fmt.Sprintf("the number %s is too large for a 64-bit float", clipNumber(n))
	}
	return n, true, ""
}

// exponentOf returns the exponent written in a JSON number (0 without),
// saturated far past maxExponent.
func exponentOf(n string) int {
	i := strings.IndexAny(n, "eE")
	if i < 0 {
		return 0
	}
	e := n[i+1:]
	neg := strings.HasPrefix(e, "-")
	e = strings.TrimLeft(strings.TrimLeft(e, "+-"), "0")
	v := 0
	if len(e) > 6 {
		v = 1 << 30
	} else {
		v, _ = strconv.Atoi(e)
	}
	if neg {
		return -v
	}
	return v
}

// clipNumber shortens a long number for a message.
func clipNumber(n string) string {
	if len(n) > 40 {
		return n[:20] + "…" + n[len(n)-10:] + fmt.Sprintf(" (%d characters)", len(n))
	}
	return n
}

// fail builds the error for the value at the current position, its
// pointer made of the first depth open containers.
func (sc *scanner) fail(code, msg string, depth int) *Error {
	return &Error{Kind: KindInvalidEvent, Code: code, Path: sc.pointer(depth), Message: msg}
}

func (sc *scanner) pointer(depth int) string {
	var b strings.Builder
	for _, f := range sc.stack[:depth] {
		b.WriteByte('/')
		if f.array {
			b.WriteString(strconv.Itoa(f.index))
			continue
		}
		key := sc.s[f.keyStart+1 : f.keyEnd-1]
		if f.escaped {
			key = gjson.Parse(sc.s[f.keyStart:f.keyEnd]).Str
		}
		b.WriteString(jsonptr.Escape(key))
	}
	return b.String()
}

// rewrite returns s with the fixes applied.
func (sc *scanner) rewrite() string {
	var b strings.Builder
	b.Grow(len(sc.s))
	at := 0
	for _, f := range sc.fixes {
		b.WriteString(sc.s[at:f.start])
		b.WriteString(f.text)
		at = f.end
	}
	b.WriteString(sc.s[at:])
	return b.String()
}
