package envvars

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "a", "B": "b-$(A)", "EMPTY": "", "X Y": "space"}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"$(A)", "a"},
		{"x$(A)y$(A)z", "xayaz"},
		{"$(B)", "b-$(A)"}, // values are not expanded again
		{"$(EMPTY)|", "|"},
		{"$(UNDEFINED)", "$(UNDEFINED)"},
		{"$$(A)", "$(A)"},
		{"$$$(A)", "$a"},
		{"$$$$(A)", "$$(A)"},
		{"$", "$"},
		{"a$", "a$"},
		{"$$", "$"},
		{"$A", "$A"},
		{"${A}", "${A}"},
		{"$(A", "$(A"},
		{"$($(A)", "$($(A)"}, // the name runs to the first ')'
		{"$(A$(A))", "$(A$(A))"},
		{"$()", "$()"},
		{"$(X Y)", "space"},
		{"$(A)$(A", "a$(A"},
		{"$x$(A)", "$xa"},
		{"日本$(A)語", "日本a語"},
	} {
		if got := Expand(tc.in, LookupIn(vars)); got != tc.want {
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzExpand: Expand never panics; text without $ is unchanged; and a
// string whose every $ is escaped as $$ expands back to itself, whatever
// the variables.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "$", "$$", "$(A)", "$(A", "a$(B)c", "$$(A)", "$(A)$(", "(($)))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		all := func(name string) (string, bool) { return "<" + name + ">", true }
		none := func(string) (string, bool) { return "", false }
		got := Expand(s, all)
		if !strings.Contains(s, "$") && got != s {
			t.Fatalf("Expand(%q) = %q without any $", s, got)
		}
		escaped := strings.ReplaceAll(s, "$", "$$")
		for _, lookup := range []func(string) (string, bool){all, none} {
			if got := Expand(escaped, lookup); got != s {
				t.Fatalf("Expand(%q) = %q, want %q", escaped, got, s)
			}
		}
		if got := Expand(s, none); len(got) > len(s) {
			t.Fatalf("Expand(%q) with nothing defined grew to %q", s, got)
		}
	})
}
