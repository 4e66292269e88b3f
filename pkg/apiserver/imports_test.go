package apiserver

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestKnowsNoResource: the HTTP layer imports no registry package but the
// generic store; what is special about a resource reaches it through
// Config and Types.
func TestKnowsNoResource(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	const registry = "github.com/tinykube/tinykube/pkg/registry/"
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, registry) && p != registry+"generic" {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}
