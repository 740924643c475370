package mapping

import (
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/diag"
)

func TestAliasesCannotExplode(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 8; i++ {
		name := string(rune('b' + i))
		refs := strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", ")
		bomb += name + ": &" + name + " [" + refs + "]\n"
		prev = name
	}
	for name, c := range map[string]struct {
		src       string
		line, col int // of the alias the finding points at; col 0: any
	}{
		"alias bomb":  {bomb, 5, 0}, // e: the first anchor past the limit
		"alias cycle": {"x: 1\na: &a {b: *a}\n", 2, 11},
	} {
		t.Run(name, func(t *testing.T) {
			_, ds := Parse("m.yaml", []byte(c.src), nil)
			if len(ds) == 0 || ds[0].Code != diag.YAMLSyntax || !strings.Contains(ds[0].Message, "expands to more than") {
				t.Fatalf("findings = %v, want one yaml_syntax about expansion", ds)
			}
			if ds[0].Pos.Line != c.line || c.col != 0 && ds[0].Pos.Col != c.col {
				t.Errorf("finding at %d:%d, want the alias at %d:%d", ds[0].Pos.Line, ds[0].Pos.Col, c.line, c.col)
			}
		})
	}
}

func TestPointerWords(t *testing.T) {
	for ptr, want := range map[string]string{
		"":                               "the mapping",
		"/events/order.invoiced/calls/0": `events."order.invoiced".calls[0]`,
		"/headers/X-Api-Key":             "headers.X-Api-Key",
		"/statuses/a~1b/label":           `statuses.a/b.label`,
		"/tables/reason/out of stock":    `tables.reason."out of stock"`,
	} {
		if got := pointerWords(ptr); got != want {
			t.Errorf("pointerWords(%q) = %s, want %s", ptr, got, want)
		}
	}
}
