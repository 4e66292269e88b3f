package printers

import (
	"fmt"
	"net/http"
	"reflect"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// initialEventsEndAnnotation marks the bookmark that ends a watch-list's
// initial events. Such a bookmark carries only metadata, so its row always
// gets a PartialObjectMetadata, whatever includeObject asked for.
const initialEventsEndAnnotation = "k8s.io/initial-events-end"

// tableGV is the group/version of Table and PartialObjectMetadata.
var tableGV = metav1.SchemeGroupVersion

// Generator converts objects to Tables. It holds the printer registry and
// the clock that Age cells are measured against; it is safe for concurrent
// use because nothing in it changes after New returns.
type Generator struct {
	now      func() time.Time
	printers map[reflect.Type]printer
}

// New builds a Generator with every printer of the served resources. now is
// the clock for Age-style cells; nil means time.Now.
func New(now func() time.Time) *Generator {
	if now == nil {
		now = time.Now
	}
	g := &Generator{now: now, printers: map[reflect.Type]printer{}}
	addCoreHandlers(g)
	addPodHandlers(g)
	addEventHandlers(g)
	addAppsHandlers(g)
	addBatchHandlers(g)
	addAutoscalingHandlers(g)
	addOtherHandlers(g)
	addRBACHandlers(g)
	addStorageHandlers(g)
	addAdmissionHandlers(g)
	addFlowControlHandlers(g)
	addAPIRegistrationHandlers(g)
	addNetworkingHandlers(g)
	addCSIHandlers(g)
	addCertificatesHandlers(g)
	addResourceHandlers(g)
	addV137Handlers(g)
	return g
}

// defaultGenerator is the registry built once, on the wall clock.
var defaultGenerator = New(time.Now)

// ToTable converts one object or a list (meta.IsListType) of a served type
// to a Table with upstream's columns and one row per object, using the wall
// clock. See Generator.ToTable.
func ToTable(obj runtime.Object, opts *metav1.TableOptions, noHeaders bool) (*metav1.Table, error) {
	return defaultGenerator.ToTable(obj, opts, noHeaders)
}

// ToTable converts one object or a list (meta.IsListType) of a served type
// to a Table with upstream's columns (all of them: priority 1 columns are
// -o wide, which kubectl filters client side) and one row per object.
//
// Row.Object follows opts.IncludeObject: "" or Metadata gives a
// *metav1.PartialObjectMetadata (apiVersion meta.k8s.io/v1), Object the
// object itself, None an empty RawExtension; any other value is a 400
// BadRequest StatusError. An object without ObjectMeta is a 406
// NotAcceptable StatusError. noHeaders (or opts.NoHeaders), used for watch
// events after the first, omits ColumnDefinitions. The Table's ListMeta
// carries the list's resourceVersion, continue and remainingItemCount, or
// the single object's resourceVersion.
func (g *Generator) ToTable(obj runtime.Object, opts *metav1.TableOptions, noHeaders bool) (*metav1.Table, error) {
	if opts == nil {
		opts = &metav1.TableOptions{}
	}
	switch opts.IncludeObject {
	case "", metav1.IncludeMetadata, metav1.IncludeObject, metav1.IncludeNone:
	default:
		return nil, apierrors.NewBadRequest(fmt.Sprintf("unrecognized includeObject value: %q", opts.IncludeObject))
	}

	items := []runtime.Object{obj}
	isList := meta.IsListType(obj)
	if isList {
		var err error
		if items, err = meta.ExtractList(obj); err != nil {
			return nil, err
		}
	}

	p, ok := g.printerFor(obj, items)
	if !ok {
		p = defaultPrinter
	}
	if isList && p.sort != nil {
		// ExtractList returned a fresh slice: reordering it leaves the
		// list itself untouched.
		p.sort(items)
	}
	pc := &printContext{now: g.now()}
	if isList && p.prepare != nil {
		p.prepare(items, pc)
	}

	table := &metav1.Table{
		TypeMeta: metav1.TypeMeta{APIVersion: tableGV.String(), Kind: "Table"},
		Rows:     make([]metav1.TableRow, 0, len(items)),
	}
	for _, item := range items {
		m, err := meta.Accessor(item)
		if err != nil {
			return nil, notAcceptable(item)
		}
		cells, err := p.cells(item, pc)
		if err != nil {
			return nil, err
		}
		row := metav1.TableRow{Cells: cells, Object: rowObject(item, m, opts.IncludeObject)}
		if p.conditions != nil {
			row.Conditions = p.conditions(item)
		}
		table.Rows = append(table.Rows, row)
	}

	if !noHeaders && !opts.NoHeaders {
		table.ColumnDefinitions = append([]metav1.TableColumnDefinition(nil), p.columns...)
	}
	if l, err := meta.ListAccessor(obj); err == nil {
		table.ResourceVersion = l.GetResourceVersion()
		table.Continue = l.GetContinue()
		table.RemainingItemCount = l.GetRemainingItemCount()
	} else if c, err := meta.CommonAccessor(obj); err == nil {
		table.ResourceVersion = c.GetResourceVersion()
	}
	return table, nil
}

// printerFor finds the printer for obj: by its own type, or for a list by
// the type of its items (an empty list by its Items element type).
func (g *Generator) printerFor(obj runtime.Object, items []runtime.Object) (printer, bool) {
	if !meta.IsListType(obj) {
		p, ok := g.printers[reflect.TypeOf(obj)]
		return p, ok
	}
	if len(items) > 0 {
		p, ok := g.printers[reflect.TypeOf(items[0])]
		return p, ok
	}
	v := reflect.ValueOf(obj)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return printer{}, false
	}
	f := v.FieldByName("Items")
	if !f.IsValid() || f.Kind() != reflect.Slice {
		return printer{}, false
	}
	p, ok := g.printers[reflect.PointerTo(f.Type().Elem())]
	return p, ok
}

// rowObject builds what a row carries besides its cells.
func rowObject(obj runtime.Object, m metav1.Object, include metav1.IncludeObjectPolicy) runtime.RawExtension {
	if include == metav1.IncludeNone {
		return runtime.RawExtension{}
	}
	if include == metav1.IncludeObject && m.GetAnnotations()[initialEventsEndAnnotation] != "true" {
		return runtime.RawExtension{Object: obj}
	}
	partial := meta.AsPartialObjectMetadata(m)
	partial.SetGroupVersionKind(tableGV.WithKind("PartialObjectMetadata"))
	return runtime.RawExtension{Object: partial}
}

// notAcceptable is the 406 kube-apiserver answers when asked for a Table of
// something that has no object metadata.
func notAcceptable(obj runtime.Object) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReason("NotAcceptable"),
		Message: fmt.Sprintf("the resource %T does not support being converted to a Table", obj),
	}}
}
