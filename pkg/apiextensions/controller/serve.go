package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/tinykube/tinykube/pkg/apiserver"
	"github.com/tinykube/tinykube/pkg/apiserver/crtypes"
	"github.com/tinykube/tinykube/pkg/registry/apiextensions/customresource"
	"github.com/tinykube/tinykube/pkg/registry/generic"
	"github.com/tinykube/tinykube/pkg/storage"
)

// served is one CRD as it is being served.
type served struct {
	crd *apiextensionsv1.CustomResourceDefinition // as last served
	// storageID names what the storage depends on; a CRD change that
	// keeps it keeps the storage (and its watch cache).
	storageID string
	stop      func()
	// all is a store of the storage version, for the finalizer's deletes.
	all *generic.Store
	// terminating refuses creates once the CRD is being deleted.
	terminating *atomic.Bool
	// ctx ends when the storage is released (stop); watching says a
	// watch of a deleting CRD's remaining objects runs (finalize.go).
	ctx      context.Context
	watching *atomic.Bool
	// schema is the storage version's current schema, for the storage
	// codec's defaulting on read (the storage outlives schema changes).
	schema    *atomic.Pointer[schemaBox]
	resources []apiserver.CustomResource
}

// serve makes the API server serve crd's versions under its accepted
// names (again, if they changed).
func (c *Controller) serve(crd *apiextensionsv1.CustomResourceDefinition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.served[crd.Name]
	if cur != nil && cur.crd.UID == crd.UID && apiequality.Semantic.DeepEqual(cur.crd.Spec, crd.Spec) &&
		apiequality.Semantic.DeepEqual(cur.crd.Status.AcceptedNames, crd.Status.AcceptedNames) {
		return nil
	}
	versions, err := customresource.Versions(crd, c.cfg.Schema)
	if err != nil {
		return err
	}
	tables := make([]*customresource.Table, len(versions))
	for i, v := range versions {
		// A column the server cannot print refuses this CRD alone.
		if tables[i], err = customresource.NewTable(v.Columns); err != nil {
			return fmt.Errorf("version %s: %w", v.Resource.GroupVersion.Version, err)
		}
	}
	storageVersion, err := customresource.StorageVersion(crd)
	if err != nil {
		return err
	}
	names := crd.Status.AcceptedNames
	storageKind := schema.GroupVersionKind{Group: crd.Spec.Group, Version: storageVersion, Kind: names.Kind}
	keyRoot := customresource.KeyRoot(crd)
	namespaced := crd.Spec.Scope == apiextensionsv1.NamespaceScoped
	// The watch cache computes each object's selectable fields once, with
	// the storage strategy: it selects on every version's fields.
	var selectable []string
	seen := map[string]bool{}
	for _, v := range versions {
		for _, f := range v.SelectableFields {
			if !seen[f] {
				seen[f] = true
				selectable = append(selectable, f)
			}
		}
	}
	sort.Strings(selectable)
	storageID := fmt.Sprintf("%s %s %v %v %v", crd.UID, keyRoot, storageKind, namespaced, selectable)

	next := &served{crd: crd.DeepCopy(), storageID: storageID}
	// The storage's own objects are of the storage version.
	storageStrategy := customresource.Strategy{V: &customresource.Version{Storage: storageKind}}
	storageStrategy.V.Resource.GroupVersion = storageKind.GroupVersion()
	storageStrategy.V.Resource.Kind, storageStrategy.V.Resource.Name = names.Kind, names.Plural
	storageStrategy.V.Resource.Namespaced = namespaced
	storageStrategy.V.SelectableFields = selectable
	var st storage.Interface
	if cur != nil && cur.storageID == storageID {
		st, next.stop, next.terminating, next.schema = cur.all.Storage, cur.stop, cur.terminating, cur.schema
		next.ctx, next.watching = cur.ctx, cur.watching
	} else {
		next.terminating, next.watching, next.schema = &atomic.Bool{}, &atomic.Bool{}, &atomic.Pointer[schemaBox]{}
		box := next.schema
		codec := customresource.Codec{Kind: storageKind, Default: func(obj map[string]any) {
			if b := box.Load(); b != nil {
				b.s.Default(obj)
			}
		}}
		var stopStorage func()
		st, stopStorage, err = c.cfg.Storage(keyRoot, codec, storageStrategy.New, storageStrategy.NewList, storageStrategy.GetAttrs)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(context.Background())
		next.ctx, next.stop = ctx, func() {
			cancel()
			stopStorage()
		}
	}
	for _, v := range versions {
		if v.Resource.GroupVersion.Version == storageVersion {
			next.schema.Store(&schemaBox{v.Schema})
		}
	}
	next.all = c.store(storageStrategy.V, keyRoot, st, next.terminating)
	webhook := crd.Spec.Conversion != nil && crd.Spec.Conversion.Strategy == apiextensionsv1.WebhookConverter
	var typeConverter func() (managedfields.TypeConverter, error)
	if c.cfg.Schemas != nil {
		frozen := crd.DeepCopy()
		typeConverter = sync.OnceValues(func() (managedfields.TypeConverter, error) {
			schemas, err := c.cfg.Schemas(frozen)
			if err != nil {
				return nil, err
			}
			return managedfields.NewTypeConverter(schemas, frozen.Spec.PreserveUnknownFields)
		})
	}
	for i, v := range versions {
		if webhook && v.Resource.GroupVersion.Version != storageVersion {
			v.ConversionError = fmt.Errorf("conversion webhook for %v failed: this server does not call conversion webhooks", storageKind)
		}
		next.resources = append(next.resources, apiserver.CustomResource{Store: c.store(v, keyRoot, st, next.terminating),
			Types: crtypes.New(v, tables[i], typeConverter), StorageKind: v.Storage,
			Deprecated: v.Deprecated, Warning: v.Warning, ConversionError: v.ConversionError})
	}
	c.served[crd.Name] = next
	if err := c.publishLocked(); err != nil {
		if cur != nil {
			c.served[crd.Name] = cur
		} else {
			delete(c.served, crd.Name)
		}
		if next.stop != nil && (cur == nil || cur.storageID != storageID) {
			next.stop()
		}
		return err
	}
	if cur != nil && cur.storageID != storageID {
		cur.stop()
	}
	return nil
}

// schemaBox holds a schema for an atomic.Pointer.
type schemaBox struct{ s customresource.Schema }

// store builds the generic store of one version over the CRD's storage.
func (c *Controller) store(v *customresource.Version, keyRoot string, st storage.Interface, terminating *atomic.Bool) *generic.Store {
	strategy := customresource.Strategy{V: v}
	s := &generic.Store{Resource: v.Resource, KeyRoot: keyRoot, Storage: st, Strategy: strategy,
		NewFunc: strategy.New, NewListFunc: strategy.NewList}
	gr := v.Resource.GVR().GroupResource()
	// A CRD being deleted refuses creates before any admission runs, as
	// upstream's handler does.
	terminatingCheck := generic.Plugin{Name: "CustomResourceTerminating", Admit: func(_ context.Context, a *generic.Attributes) error {
		if a.Operation == generic.Create && terminating.Load() {
			return apierrors.NewForbidden(gr, a.Name, errors.New("create not allowed while custom resource definition is terminating"))
		}
		return nil
	}}
	s.Admission = append(generic.Chain{terminatingCheck}, c.cfg.Admission...)
	return s
}

// unserve stops serving a CRD that is gone.
func (c *Controller) unserve(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.served[name]
	if cur == nil {
		return
	}
	delete(c.served, name)
	if err := c.publishLocked(); err != nil {
		c.cfg.Logger.Warn("crd controller: unserve", "crd", name, "err", err)
	}
	cur.stop()
}
