package node

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPruneLogs: a restart keeps the previous attempt's log and removes
// older ones; other files stay.
func TestPruneLogs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"0.log", "1.log", "2.log", "3.log", "notes.txt", "x.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pruneLogs(dir, 2)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"2.log", "3.log", "notes.txt", "x.log"}; !slices.Equal(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
	pruneLogs(filepath.Join(dir, "missing"), 1) // no directory: nothing to do
}
