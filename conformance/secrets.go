package conformance

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/rotahq/rota/engine/diag"
	"go.yaml.in/yaml/v3"
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
	var root yaml.Node
	if yaml.Unmarshal(m.src, &root) == nil && len(root.Content) > 0 {
		w := &secretWalker{file: m.path, names: m.secretNames()}
		w.walk(root.Content[0], "")
		ps = append(ps, w.found...)
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
	return Problem{Pos: pos.String(), Message: fmt.Sprintf("%s (%s); %s", what, masked(text[off:]), secretAdvice)}
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

// secretWalker finds literal values under secret-looking keys.
type secretWalker struct {
	file  string
	names map[string]bool
	found []Problem
}

func (w *secretWalker) walk(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			w.pair(key, k, v)
			w.walk(v, k.Value)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			w.walk(c, key)
		}
	}
}

// pair flags KEY: literal when KEY names a credential, and a default of a
// variable whose name does.
func (w *secretWalker) pair(parent string, k, v *yaml.Node) {
	if v.Kind != yaml.ScalarNode || !isLiteralSecret(v.Value, w.names) {
		return
	}
	name := k.Value
	if name == "default" || name == "example" {
		name = parent
	}
	if secretKey.MatchString(name) && (k.Value != "example" || looksRandom(v.Value)) {
		pos := diag.Pos{File: w.file, Line: v.Line, Col: v.Column}
		w.found = append(w.found, Problem{Pos: pos.String(), Message: fmt.Sprintf("%s holds a literal value (%s); %s", name, masked(v.Value), secretAdvice)})
	}
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
