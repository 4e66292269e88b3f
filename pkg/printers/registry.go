package printers

import (
	"fmt"
	"reflect"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// printContext is what a row function may know beyond its object: the time
// the table is being printed at, and facts computed once over the whole list.
type printContext struct {
	now time.Time
	// defaultStorageClass is the effective default StorageClass of the list
	// being printed ("" for a single object), which upstream marks with
	// " (default)" after its name.
	defaultStorageClass string
}

// printer is the type-erased form of a printerFor, as the registry keeps it.
type printer struct {
	columns    []metav1.TableColumnDefinition
	cells      func(obj runtime.Object, pc *printContext) ([]interface{}, error)
	conditions func(obj runtime.Object) []metav1.TableRowCondition
	prepare    func(items []runtime.Object, pc *printContext)
	sort       func(items []runtime.Object)
}

// printerFor describes how to print one Go type T (a pointer to an API
// struct such as *corev1.Pod). Lists of T are printed row by row with it.
type printerFor[T runtime.Object] struct {
	// columns are upstream's column definitions, in cell order.
	columns []metav1.TableColumnDefinition
	// cells returns one cell per column: string, int64 or bool.
	cells func(obj T, pc *printContext) ([]interface{}, error)
	// conditions, if set, returns the row's conditions (pods mark
	// completed rows so kubectl can hide them).
	conditions func(obj T) []metav1.TableRowCondition
	// prepare, if set, sees every item of a list before any row is
	// printed and records list-wide facts in the context. It is not
	// called when a single object is printed.
	prepare func(items []T, pc *printContext)
	// less, if set, orders the rows of a list (upstream sorts some
	// lists, such as FlowSchemas, before printing them). A single object
	// is unaffected.
	less func(a, b T) bool
}

// register adds p to g under T. It panics on a second registration of the
// same type or a column/cell mismatch in the definition: both are
// programming errors caught by the first test run.
func register[T runtime.Object](g *Generator, p printerFor[T]) {
	t := reflect.TypeFor[T]()
	if _, dup := g.printers[t]; dup {
		panic(fmt.Sprintf("printers: %v registered twice", t))
	}
	erased := printer{
		columns: p.columns,
		cells: func(obj runtime.Object, pc *printContext) ([]interface{}, error) {
			cells, err := p.cells(obj.(T), pc)
			if err == nil && len(cells) != len(p.columns) {
				err = fmt.Errorf("printers: %v row has %d cells for %d columns", t, len(cells), len(p.columns))
			}
			return cells, err
		},
	}
	if p.conditions != nil {
		erased.conditions = func(obj runtime.Object) []metav1.TableRowCondition { return p.conditions(obj.(T)) }
	}
	if p.prepare != nil {
		erased.prepare = func(items []runtime.Object, pc *printContext) {
			typed := make([]T, 0, len(items))
			for _, it := range items {
				typed = append(typed, it.(T))
			}
			p.prepare(typed, pc)
		}
	}
	if p.less != nil {
		erased.sort = func(items []runtime.Object) {
			sort.SliceStable(items, func(i, j int) bool { return p.less(items[i].(T), items[j].(T)) })
		}
	}
	g.printers[t] = erased
}

// defaultPrinter is kube-apiserver's default table convertor (k8s.io/apiserver
// pkg/registry/rest/table.go): Name and Created At as an RFC 3339 UTC
// timestamp. Upstream serves roles, clusterroles and limitranges with it.
var defaultPrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Created At", Type: "date", Description: objectMetaDoc["creationTimestamp"]},
	},
	cells: func(obj runtime.Object, _ *printContext) ([]interface{}, error) {
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil, err
		}
		return []interface{}{m.GetName(), m.GetCreationTimestamp().UTC().Format(time.RFC3339)}, nil
	},
}
