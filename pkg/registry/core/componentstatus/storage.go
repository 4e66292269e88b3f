package componentstatus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// probeTimeout bounds each probe; upstream allows 20s, which would hold
// kubectl get cs that long for a component that is not there.
const probeTimeout = 2 * time.Second

// Probe checks one component: healthy with a message, or an error.
type Probe func(ctx context.Context) (message string, err error)

// Storage answers Get and GetList by probing; every write fails (the
// resource serves get and list only).
type Storage struct {
	mu     sync.RWMutex
	probes map[string]Probe
}

var _ storage.Interface = (*Storage)(nil)

// New returns the storage probing etcd through client, and the scheduler
// and controller manager on 127.0.0.1:10259 and :10257 as upstream does.
func New(client *clientv3.Client) *Storage {
	return &Storage{probes: map[string]Probe{
		"etcd-0":             EtcdProbe(client),
		"scheduler":          HealthzProbe("https://127.0.0.1:10259/healthz"),
		"controller-manager": HealthzProbe("https://127.0.0.1:10257/healthz"),
	}}
}

// SetProbe replaces (or adds) the probe of one component: a process
// running the scheduler or the controller manager itself knows their
// health better than a port.
func (s *Storage) SetProbe(name string, p Probe) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.probes[name] = p
}

// snapshot returns the probes, sorted by name.
func (s *Storage) snapshot() ([]string, map[string]Probe) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	probes := make(map[string]Probe, len(s.probes))
	names := make([]string, 0, len(s.probes))
	for n, p := range s.probes {
		probes[n] = p
		names = append(names, n)
	}
	sort.Strings(names)
	return names, probes
}

// NewWithProbes returns a storage answering with the given probes.
func NewWithProbes(probes map[string]Probe) *Storage { return &Storage{probes: probes} }

// EtcdProbe reads a key with a quorum read, as etcd's own health check:
// "ok" if etcd answers.
func EtcdProbe(client *clientv3.Client) Probe {
	return func(ctx context.Context) (string, error) {
		if _, err := client.Get(ctx, "health"); err != nil {
			return "", err
		}
		return "ok", nil
	}
}

// HealthzProbe GETs url (its certificate is not checked, as upstream):
// the body when the answer is 2xx.
func HealthzProbe(url string) Probe {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // as upstream's probe
	return func(ctx context.Context) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return "", err
		}
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 10<<10))
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return string(body), fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return string(body), nil
	}
}

// status probes one component. As upstream, a probe that could not reach
// the component reports Unknown, one that got an unhealthy answer False.
func (s *Storage) status(ctx context.Context, name string, p Probe) corev1.ComponentStatus {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	msg, err := p(ctx)
	c := corev1.ComponentCondition{Type: corev1.ComponentHealthy, Status: corev1.ConditionTrue, Message: msg}
	if err != nil {
		c.Status, c.Error = corev1.ConditionUnknown, err.Error()
		if msg != "" {
			c.Status = corev1.ConditionFalse
		}
	}
	cs := corev1.ComponentStatus{Conditions: []corev1.ComponentCondition{c}}
	cs.Name = name
	return cs
}

// Get probes the component named by key's last segment.
func (s *Storage) Get(ctx context.Context, key string, _ string, out runtime.Object) error {
	name := path.Base(key)
	_, probes := s.snapshot()
	p, ok := probes[name]
	if !ok {
		return storage.ErrNotFound
	}
	*out.(*corev1.ComponentStatus) = s.status(ctx, name, p)
	return nil
}

// GetList probes every component, in parallel, and keeps those matching
// the predicate.
func (s *Storage) GetList(ctx context.Context, _ string, opts storage.ListOptions, listObj runtime.Object) error {
	names, probes := s.snapshot()
	items := make([]corev1.ComponentStatus, len(names))
	done := make(chan struct{})
	for i, n := range names {
		go func() {
			items[i] = s.status(ctx, n, probes[n])
			done <- struct{}{}
		}()
	}
	for range names {
		<-done
	}
	list := listObj.(*corev1.ComponentStatusList)
	list.Items = list.Items[:0]
	for i := range items {
		ok, err := opts.Predicate.Matches(&items[i])
		if err != nil {
			return err
		}
		if ok {
			list.Items = append(list.Items, items[i])
		}
	}
	return nil
}

var errReadOnly = errors.New("componentstatuses are read-only")

func (s *Storage) Create(context.Context, string, runtime.Object, runtime.Object) error {
	return errReadOnly
}

func (s *Storage) GuaranteedUpdate(context.Context, string, runtime.Object, bool, *storage.Preconditions, storage.UpdateFunc, runtime.Object) error {
	return errReadOnly
}

func (s *Storage) Delete(context.Context, string, runtime.Object, *storage.Preconditions, func(runtime.Object) error, runtime.Object) error {
	return errReadOnly
}

func (s *Storage) Watch(context.Context, string, storage.ListOptions) (watch.Interface, error) {
	return nil, errReadOnly
}

func (s *Storage) Count(context.Context, string) (int64, error) {
	names, _ := s.snapshot()
	return int64(len(names)), nil
}
