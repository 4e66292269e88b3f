package customresource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/util/jsonpath"
)

// Table prints custom resources with a CRD version's columns: Name, then
// the additionalPrinterColumns (JSONPath into the object; upstream's Age
// column when the CRD has none), as upstream's table convertor.
type Table struct {
	headers []metav1.TableColumnDefinition
	cols    []apiextensionsv1.CustomResourceColumnDefinition
	now     func() time.Time
}

// NewTable compiles the columns; a JSONPath that does not parse is an
// error (CRD validation rejects those first).
func NewTable(cols []apiextensionsv1.CustomResourceColumnDefinition) (*Table, error) {
	t := &Table{now: time.Now, headers: []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]}}}
	t.cols = cols
	if _, err := t.compile(); err != nil {
		return nil, err
	}
	for _, c := range cols {
		desc := c.Description
		if desc == "" {
			desc = "Custom resource definition column (in JSONPath format): " + c.JSONPath
		}
		t.headers = append(t.headers, metav1.TableColumnDefinition{Name: c.Name, Type: c.Type, Format: c.Format,
			Description: desc, Priority: c.Priority})
	}
	return t, nil
}

// compile parses the columns' JSONPaths; a JSONPath keeps state while it
// evaluates, so each conversion compiles its own.
func (t *Table) compile() ([]*jsonpath.JSONPath, error) {
	paths := make([]*jsonpath.JSONPath, 0, len(t.cols))
	for _, c := range t.cols {
		p := jsonpath.New(c.Name).AllowMissingKeys(true)
		if err := p.Parse("{" + c.JSONPath + "}"); err != nil {
			return nil, fmt.Errorf("unrecognized column definition %q", c.JSONPath)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// ToTable converts one object or an UnstructuredList to a Table. Rows
// carry PartialObjectMetadata unless opts asks for the object or nothing.
func (t *Table) ToTable(obj runtime.Object, opts *metav1.TableOptions, noHeaders bool) (*metav1.Table, error) {
	if opts == nil {
		opts = &metav1.TableOptions{}
	}
	switch opts.IncludeObject {
	case "", metav1.IncludeMetadata, metav1.IncludeObject, metav1.IncludeNone:
	default:
		return nil, apierrors.NewBadRequest(fmt.Sprintf("unrecognized includeObject value: %q", opts.IncludeObject))
	}
	paths, err := t.compile()
	if err != nil {
		return nil, err
	}
	table := &metav1.Table{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "Table"}}
	if !noHeaders && !opts.NoHeaders {
		table.ColumnDefinitions = t.headers
	}
	var items []runtime.Object
	if list, ok := obj.(*unstructured.UnstructuredList); ok {
		table.ResourceVersion, table.Continue = list.GetResourceVersion(), list.GetContinue()
		table.RemainingItemCount = list.GetRemainingItemCount()
		for i := range list.Items {
			items = append(items, &list.Items[i])
		}
	} else {
		if m, err := meta.Accessor(obj); err == nil {
			table.ResourceVersion = m.GetResourceVersion()
		}
		items = []runtime.Object{obj}
	}
	table.Rows = make([]metav1.TableRow, 0, len(items))
	now := t.now()
	var buf bytes.Buffer
	for _, item := range items {
		u, ok := item.(*unstructured.Unstructured)
		if !ok {
			return nil, fmt.Errorf("cannot print %T", item)
		}
		cells := make([]any, 1, 1+len(paths))
		cells[0] = u.GetName()
		for i, p := range paths {
			cells = append(cells, t.cell(p, t.headers[i+1].Type, u.Object, now, &buf))
		}
		row := metav1.TableRow{Cells: cells}
		switch opts.IncludeObject {
		case metav1.IncludeObject:
			row.Object.Object = u
		case metav1.IncludeNone:
		default:
			partial := meta.AsPartialObjectMetadata(u)
			partial.SetGroupVersionKind(metav1.SchemeGroupVersion.WithKind("PartialObjectMetadata"))
			row.Object.Object = partial
		}
		table.Rows = append(table.Rows, row)
	}
	return table, nil
}

// cell evaluates one column: strings as the JSONPath prints them, other
// types as JSON values of the column's type, dates as an age; nil when the
// path finds nothing or the value has another type.
func (t *Table) cell(p *jsonpath.JSONPath, typ string, obj map[string]any, now time.Time, buf *bytes.Buffer) any {
	results, err := p.FindResults(obj)
	if err != nil || len(results) == 0 || len(results[0]) == 0 {
		return nil
	}
	value := results[0][0].Interface()
	if typ == "string" {
		buf.Reset()
		if err := p.PrintResults(buf, []reflect.Value{reflect.ValueOf(value)}); err != nil {
			return nil
		}
		return buf.String()
	}
	switch typ {
	case "integer":
		switch v := value.(type) {
		case int64:
			return v
		case float64:
			return int64(v)
		case json.Number:
			if i, err := v.Int64(); err == nil {
				return i
			}
		}
	case "number":
		switch v := value.(type) {
		case int64:
			return float64(v)
		case float64:
			return v
		case json.Number:
			if f, err := v.Float64(); err == nil {
				return f
			}
		}
	case "boolean":
		if b, ok := value.(bool); ok {
			return b
		}
	case "date":
		if s, ok := value.(string); ok {
			var ts metav1.Time
			if err := ts.UnmarshalQueryParameter(s); err != nil {
				return "<invalid>"
			}
			if ts.IsZero() {
				return "<unknown>"
			}
			return duration.HumanDuration(now.Sub(ts.Time))
		}
	}
	return nil
}
