package engine

import (
	"crypto/sha256"
	"strings"
	"testing"
)

func TestBoundaryIsNotInAnyPart(t *testing.T) {
	digest := sha256.Sum256([]byte("call content"))
	first, second := boundaryCandidate(digest, 0), boundaryCandidate(digest, 1)
	for _, tc := range []struct {
		name  string
		parts []Part
		want  string
	}{
		{"no part holds the first", []Part{{Name: "a", Content: []byte("plain")}}, first},
		{"a part's bytes hold the first", []Part{{Name: "a", Content: []byte("x\r\n--" + first + "\r\n")}}, second},
		{"a file name holds the first", []Part{{Name: "a", Filename: first + ".xml", Content: []byte("x")}}, second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pickBoundary(digest, tc.parts)
			if !ok || got != tc.want {
				t.Errorf("pickBoundary = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
	var all []byte
	for try := range maxBoundaryTries {
		all = append(all, boundaryCandidate(digest, try)...)
	}
	if got, ok := pickBoundary(digest, []Part{{Name: "a", Content: all}}); ok {
		t.Errorf("pickBoundary = %q, true; want no boundary when a part holds every candidate", got)
	}
	if !strings.HasPrefix(first, "rota-") || len(first) != 45 || first == second {
		t.Errorf("candidates %q, %q: want distinct rota- boundaries of 45 characters", first, second)
	}
}
