package conformance

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// secretAdvice is what to do instead of writing a credential in a mapping.
const secretAdvice = "credentials never go in mapping files: name the secret in an auth scheme's secrets and set its value in ROTA_SECRET_<MARKETPLACE>_<NAME> or a secrets file"

// secretPatterns match credentials anywhere in a line, comments included.
var secretPatterns = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}`), "an Authorization credential"},
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`), "a private key"},
	{regexp.MustCompile(`\bAKIA[0-9A-Z]{16}\b`), "an AWS access key id"},
	{regexp.MustCompile(`https?://[^/\s:@]+:[^/\s@]+@`), "a URL with a password"},
}

// tokenWord is a run of characters random tokens are made of.
var tokenWord = regexp.MustCompile(`[A-Za-z0-9+]{20,}=*`)

// secretKey matches key names whose literal value would be a credential.
var secretKey = regexp.MustCompile(`(?i)(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|authorization)$`)

// secretsCheck: no secret-looking literal anywhere in the mapping file.
func (m *mappingUnit) secretsCheck() CheckResult {
	ps := scanLines(m.path, m.src)
	if doc := m.document(); doc != nil {
		w := &secretWalker{doc: doc, names: m.secretNames(), seen: map[diag.Pos]bool{}}
		w.walk(doc.Value(), "", "")
		slices.SortStableFunc(w.found, func(a, b foundSecret) int { return cmpPos(a.pos, b.pos) })
		for _, f := range w.found {
			ps = append(ps, f.problem)
		}
	}
	return newCheck(CheckSecrets, "", ps)
}

// secretNames are the names the auth schemes declare: values that name a
// secret rather than hold one.
func (m *mappingUnit) secretNames() map[string]bool {
	names := map[string]bool{}
	if md := m.model(); md != nil {
		for _, n := range md.Secrets {
			names[n] = true
		}
	}
	return names
}

// scanLines looks for credential patterns and long random-looking tokens.
func scanLines(file string, src []byte) []Problem {
	var ps []Problem
	for i, line := range strings.Split(string(src), "\n") {
		seen := map[int]bool{}
		for _, p := range secretPatterns {
			if loc := p.re.FindStringIndex(line); loc != nil {
				seen[loc[0]] = true
				ps = append(ps, secretAt(file, i+1, line, loc[0], p.what))
			}
		}
		for _, loc := range tokenWord.FindAllStringIndex(line, -1) {
			if !seen[loc[0]] && looksRandom(line[loc[0]:loc[1]]) {
				ps = append(ps, secretAt(file, i+1, line, loc[0], "a long random-looking token"))
			}
		}
	}
	return ps
}

func secretAt(file string, line int, text string, off int, what string) Problem {
	pos := diag.Pos{File: file, Line: line, Col: utf8.RuneCountInString(text[:off]) + 1}
	return Problem{Pos: pos, Message: fmt.Sprintf("%s (%s); %s", what, masked(text[off:]), secretAdvice)}
}

// masked shows the start of a suspected secret, never all of it.
func masked(s string) string {
	if len(s) > 4 {
		s = s[:4]
	}
	return s + "…"
}

// looksRandom: letters and digits mixed, with high character entropy.
func looksRandom(w string) bool {
	hasLetter := strings.ContainsAny(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	hasDigit := strings.ContainsAny(w, "0123456789")
	return hasLetter && hasDigit && entropy(w) >= 3.5
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	n := float64(utf8.RuneCountInString(s))
	h := 0.0
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

// document is the mapping file as the engine read it or, when it does not
// decode as a mapping, as plain YAML; nil when it is not YAML.
func (m *mappingUnit) document() *engine.Document {
	if m.decl != nil {
		return m.decl.Document
	}
	doc, _ := engine.ReadYAML(m.path, m.src)
	return doc
}

// secretWalker finds literal values under secret-looking keys. A value
// repeated by an alias is found once, at its anchor.
type secretWalker struct {
	doc   *engine.Document
	names map[string]bool
	seen  map[diag.Pos]bool
	found []foundSecret
}

type foundSecret struct {
	pos     diag.Pos
	problem Problem
}

func (w *secretWalker) walk(v any, ptr, key string) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Collect(maps.Keys(x)) {
			p := ptr + engine.JSONPointer(k)
			w.pair(key, k, x[k], p)
			w.walk(x[k], p, k)
		}
	case []any:
		for i, item := range x {
			w.walk(item, ptr+"/"+strconv.Itoa(i), key)
		}
	}
}

// pair flags KEY: literal when KEY names a credential, and a default of a
// variable whose name does.
func (w *secretWalker) pair(parent, key string, v any, ptr string) {
	text, ok := scalarText(v)
	if !ok || !isLiteralSecret(text, w.names) {
		return
	}
	name := key
	if name == "default" || name == "example" {
		name = parent
	}
	pos := w.doc.Pos(ptr)
	if secretKey.MatchString(name) && (key != "example" || looksRandom(text)) && !w.seen[pos] {
		w.seen[pos] = true
		w.found = append(w.found, foundSecret{pos, Problem{Pos: pos, Message: fmt.Sprintf("%s holds a literal value (%s); %s", name, masked(text), secretAdvice)}})
	}
}

// scalarText is a scalar value as written; false for an object, an array
// or null.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func cmpPos(a, b diag.Pos) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// isLiteralSecret: a value that is not a template, a declared secret name,
// empty, or a plain URL.
func isLiteralSecret(v string, names map[string]bool) bool {
	if v == "" || strings.Contains(v, "${") || names[v] {
		return false
	}
	u, err := url.Parse(v)
	return err != nil || u.Scheme == "" || u.User != nil
}
