package conformance

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCaseFile feeds arbitrary case files to the loader: it must never
// panic, and every problem of a broken file must say what is wrong.
func FuzzCaseFile(f *testing.F) {
	seeds, _ := filepath.Glob("cases/*/*.yaml")
	for _, p := range seeds {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("marketplace: skyhub\ncases: [{name: x, event: {}}]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "skyhub")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "f.yaml")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		cf := loadCaseFile(root, path)
		for _, p := range cf.broken {
			if p.Message == "" {
				t.Fatalf("a problem without a message: %+v", p)
			}
		}
	})
}
