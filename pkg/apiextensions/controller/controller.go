package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/tinykube/tinykube/pkg/apiserver"
	"github.com/tinykube/tinykube/pkg/registry/apiextensions/customresource"
	"github.com/tinykube/tinykube/pkg/registry/generic"
	"github.com/tinykube/tinykube/pkg/storage"
)

// StorageFunc returns the storage of one CRD's objects: keys under
// keyRoot, values encoded with codec. stop releases it (the watch cache)
// once the CRD is no longer served.
type StorageFunc func(keyRoot string, codec runtime.Codec, newFunc, newListFunc func() runtime.Object,
	attrs storage.AttrFunc) (st storage.Interface, stop func(), err error)

// Server is what the controller serves custom resources through
// (apiserver.Server).
type Server interface {
	SetCustomResources([]apiserver.CustomResource) error
}

// OpenAPI publishes the schemas of the established CRDs (openapi.Handler).
type OpenAPI interface {
	SetCustomResources([]*apiextensionsv1.CustomResourceDefinition)
}

// Config is what a Controller is built from.
type Config struct {
	// CRDs is the customresourcedefinitions store.
	CRDs    *generic.Store
	Server  Server
	OpenAPI OpenAPI // optional
	Storage StorageFunc
	// Schema compiles a version's schema (pkg/apiextensions/schema.New).
	Schema customresource.SchemaFunc
	// Admission is the server's admission chain (registry.Registry's):
	// custom resources run it like built-ins (namespace lifecycle, quota
	// of count/<plural>.<group>).
	Admission generic.Chain
	// Schemas, if set, returns the OpenAPI schemas of a CRD's versions
	// (openapi.Builder.CustomResourceSchemas), from which server-side
	// apply learns its types; without it they are deduced.
	Schemas func(*apiextensionsv1.CustomResourceDefinition) (map[string]*spec.Schema, error)
	Logger  *slog.Logger
}

// Validate reports a missing collaborator.
func (c Config) Validate() error {
	if c.CRDs == nil || c.Server == nil || c.Storage == nil || c.Schema == nil {
		return errors.New("crd controller: CRDs, Server, Storage and Schema are required")
	}
	return nil
}

// Controller keeps CRD status and the served custom resources in step with
// the stored CRDs. See the package documentation.
type Controller struct {
	cfg   Config
	queue workqueue.TypedRateLimitingInterface[string]

	// mu guards served; sync runs on one worker, so it only matters for
	// Stop.
	mu     sync.Mutex
	served map[string]*served // by CRD name
	// listedRV is the resourceVersion of SyncAll's list.
	listedRV string
}

// New returns a controller; SyncAll, then Run, run it.
func New(cfg Config) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Controller{cfg: cfg, served: map[string]*served{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, 5*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "crd"})}, nil
}

// SyncAll syncs every stored CRD once, so that a restarted server serves
// its custom resources before it reports ready. Run then follows changes
// from where it listed.
func (c *Controller) SyncAll(ctx context.Context) error {
	list, err := c.cfg.CRDs.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return err
	}
	crds := list.(*apiextensionsv1.CustomResourceDefinitionList)
	for i := range crds.Items {
		if err := c.sync(ctx, crds.Items[i].Name); err != nil {
			c.cfg.Logger.Warn("crd controller: first sync", "crd", crds.Items[i].Name, "err", err)
			c.queue.AddRateLimited(crds.Items[i].Name)
		}
	}
	c.listedRV = crds.ResourceVersion
	return nil
}

// Run watches CRDs and syncs them until ctx ends; then it stops serving
// and releases the storage.
func (c *Controller) Run(ctx context.Context) {
	go c.watch(ctx, c.listedRV)
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	c.worker(ctx)
}

// Stop releases the storage of every served CRD.
func (c *Controller) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, s := range c.served {
		s.stop()
		delete(c.served, name)
	}
}

// watch feeds CRD changes into the queue from the watch cache, re-listing
// when the watch ends.
func (c *Controller) watch(ctx context.Context, rv string) {
	for ctx.Err() == nil {
		if rv == "" {
			list, err := c.cfg.CRDs.List(ctx, "", &metav1.ListOptions{})
			if err != nil {
				c.cfg.Logger.Warn("crd controller: list", "err", err)
				sleep(ctx, time.Second)
				continue
			}
			crds := list.(*apiextensionsv1.CustomResourceDefinitionList)
			names := map[string]bool{}
			for _, crd := range crds.Items {
				names[crd.Name] = true
				c.queue.Add(crd.Name)
			}
			c.mu.Lock()
			for name := range c.served {
				if !names[name] {
					c.queue.Add(name) // deleted while we were not watching
				}
			}
			c.mu.Unlock()
			rv = crds.ResourceVersion
		}
		w, err := c.cfg.CRDs.Watch(ctx, "", &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			rv = ""
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		rv = c.drain(w, rv)
		w.Stop()
	}
}

// drain queues the CRD of every event until the watch ends, and returns
// the resourceVersion to resume from ("" to re-list).
func (c *Controller) drain(w watch.Interface, rv string) string {
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Error:
			return ""
		case watch.Bookmark:
			if m, ok := ev.Object.(metav1.Object); ok {
				rv = m.GetResourceVersion()
			}
			continue
		}
		if crd, ok := ev.Object.(*apiextensionsv1.CustomResourceDefinition); ok {
			rv = crd.ResourceVersion
			c.queue.Add(crd.Name)
		}
	}
	return rv
}

func (c *Controller) worker(ctx context.Context) {
	for {
		name, shutdown := c.queue.Get()
		if shutdown {
			c.Stop()
			return
		}
		err := c.sync(ctx, name)
		switch {
		case err == nil:
			c.queue.Forget(name)
		case ctx.Err() != nil:
		default:
			c.cfg.Logger.Debug("crd controller: sync", "crd", name, "err", err)
			c.queue.AddRateLimited(name)
		}
		c.queue.Done(name)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// sync brings one CRD's status and serving up to date.
func (c *Controller) sync(ctx context.Context, name string) error {
	obj, err := c.cfg.CRDs.Get(ctx, "", name, nil)
	if apierrors.IsNotFound(err) {
		c.unserve(name)
		// Its names are free: the group's other CRDs may now take them.
		return c.requeueGroupOf(ctx, name)
	}
	if err != nil {
		return err
	}
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	next := crd.DeepCopy()
	if crd.DeletionTimestamp == nil {
		if err := c.acceptNames(ctx, next); err != nil {
			return err
		}
	}
	if isTrue(next, apiextensionsv1.NamesAccepted) || isTrue(next, apiextensionsv1.Established) {
		// Established is written only after serve succeeded: clients
		// that wait for it find the resource served.
		if next.DeletionTimestamp == nil {
			setCondition(next, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Established,
				Status: apiextensionsv1.ConditionTrue, Reason: "InitialNamesAccepted", Message: "the initial names have been accepted"})
		}
		if err := c.serve(next); err != nil {
			return err
		}
	}
	if crd.DeletionTimestamp != nil {
		return c.finalize(ctx, crd, next)
	}
	return c.writeStatus(ctx, crd, next)
}

// writeStatus stores next's status (and metadata) if it differs from
// crd's, through /status with crd's resourceVersion: a concurrent change
// is a conflict, and the watch brings the CRD back.
func (c *Controller) writeStatus(ctx context.Context, crd, next *apiextensionsv1.CustomResourceDefinition) error {
	if statusEqual(crd, next) && len(crd.Finalizers) == len(next.Finalizers) {
		return nil
	}
	_, _, err := c.cfg.CRDs.Update(ctx, "", crd.Name, func(context.Context, runtime.Object) (runtime.Object, error) {
		return next.DeepCopy(), nil
	}, generic.UpdateOptions{Strategy: generic.ForStatus(c.cfg.CRDs.Strategy)})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// requeueGroupOf queues every CRD of the group the deleted CRD name was
// in (its name is <plural>.<group>).
func (c *Controller) requeueGroupOf(ctx context.Context, name string) error {
	list, err := c.cfg.CRDs.ListFromCache(ctx, "")
	if err != nil {
		return err
	}
	for _, crd := range list.(*apiextensionsv1.CustomResourceDefinitionList).Items {
		if strings.HasSuffix(name, "."+crd.Spec.Group) && crd.Name != name {
			c.queue.Add(crd.Name)
		}
	}
	return nil
}

// establishedLocked lists the CRDs served now, sorted by name.
func (c *Controller) establishedLocked() []*apiextensionsv1.CustomResourceDefinition {
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(c.served))
	for _, s := range c.served {
		out = append(out, s.crd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// publishLocked hands the served set to the API server and OpenAPI.
func (c *Controller) publishLocked() error {
	var crs []apiserver.CustomResource
	for _, crd := range c.establishedLocked() {
		crs = append(crs, c.served[crd.Name].resources...)
	}
	if err := c.cfg.Server.SetCustomResources(crs); err != nil {
		return fmt.Errorf("serving custom resources: %w", err)
	}
	if c.cfg.OpenAPI != nil {
		c.cfg.OpenAPI.SetCustomResources(c.establishedLocked())
	}
	return nil
}
