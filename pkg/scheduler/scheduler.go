package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/leaderelect"
	"github.com/tinykube/tinykube/pkg/scheduler/framework"
	"github.com/tinykube/tinykube/pkg/scheduler/plugins"
)

// DefaultSchedulerName is the spec.schedulerName this scheduler serves
// by default, as upstream's.
const DefaultSchedulerName = corev1.DefaultSchedulerName

// Config configures a scheduler. DefaultConfig fills the defaults.
type Config struct {
	// RESTConfig reaches the API server.
	RESTConfig *rest.Config
	// SchedulerName: only pods with this spec.schedulerName are scheduled.
	SchedulerName string
	// LeaderElect schedules only while holding the Lease
	// kube-system/kube-scheduler; Identity names this process in it.
	LeaderElect bool
	Identity    string
	// PodInitialBackoff doubles per failed attempt up to PodMaxBackoff.
	PodInitialBackoff, PodMaxBackoff time.Duration
	// MaxInUnschedulable is the longest an unschedulable pod waits for a
	// cluster change before it is tried again (upstream: 5 minutes).
	MaxInUnschedulable time.Duration
	// AssumedPodTTL: a pod bound by us but not seen through the informer
	// this long after binding stops being counted.
	AssumedPodTTL time.Duration
	// QPS and Burst of the scheduler's API client.
	QPS   float32
	Burst int
	// MaxBindingsInFlight caps the bindings sent and not yet answered;
	// the scheduling loop waits for a free slot. A burst of pods must not
	// become a burst of bindings past the API server's in-flight limit
	// (400 by default): each rejected binding (429) waits out its
	// Retry-After of a second, and they all retry in step. Too low a cap
	// makes the scheduler the bottleneck (throughput = cap / binding
	// latency: 100 slots at 0.5 s bound only 200 pods/s).
	MaxBindingsInFlight int
	// Clock drives backoff and expiry (default: the real clock).
	Clock  clock.WithTicker
	Logger *slog.Logger
}

// DefaultConfig returns the defaults of `tinykube scheduler`.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		SchedulerName: DefaultSchedulerName, LeaderElect: true, Identity: fmt.Sprintf("%s_%d", host, os.Getpid()),
		PodInitialBackoff: time.Second, PodMaxBackoff: 10 * time.Second, MaxInUnschedulable: 30 * time.Second,
		AssumedPodTTL: 30 * time.Second, QPS: 500, Burst: 1000, MaxBindingsInFlight: 250,
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	switch {
	case c.RESTConfig == nil:
		return errors.New("scheduler: RESTConfig is required")
	case c.SchedulerName == "":
		return errors.New("scheduler: SchedulerName is required")
	case c.PodInitialBackoff <= 0 || c.PodMaxBackoff < c.PodInitialBackoff:
		return errors.New("scheduler: need 0 < PodInitialBackoff <= PodMaxBackoff")
	case c.MaxInUnschedulable <= 0 || c.AssumedPodTTL <= 0:
		return errors.New("scheduler: MaxInUnschedulable and AssumedPodTTL must be positive")
	case c.MaxBindingsInFlight <= 0:
		return errors.New("scheduler: MaxBindingsInFlight must be positive")
	}
	return nil
}

// Scheduler assigns pending pods to nodes.
type Scheduler struct {
	cfg      Config
	client   kubernetes.Interface
	queue    *Queue
	cache    *Cache
	snapshot *Snapshot
	profile  framework.Profile
	recorder record.EventRecorder

	pods       corelisters.PodLister
	namespaces corelisters.NamespaceLister
	synced     []cache.InformerSynced

	// nextStart is where the next cycle starts looking for feasible
	// nodes, so that sampling visits every node in turn.
	nextStart int
	// binding counts bindings in flight (Run waits for them).
	binding sync.WaitGroup
	// bindSlots holds one token per binding in flight (or cycle about to
	// bind), MaxBindingsInFlight at most.
	bindSlots chan struct{}
}

// New builds a scheduler on the informers (it registers its handlers;
// the caller starts the factory). recorder receives FailedScheduling,
// Scheduled and Preempted events.
func New(cfg Config, client kubernetes.Interface, factory informers.SharedInformerFactory, recorder record.EventRecorder) (*Scheduler, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Scheduler{
		cfg: cfg, client: client, recorder: recorder,
		queue:     NewQueue(cfg.Clock, cfg.PodInitialBackoff, cfg.PodMaxBackoff, cfg.MaxInUnschedulable),
		cache:     NewCache(cfg.Clock, cfg.AssumedPodTTL),
		snapshot:  NewSnapshot(),
		bindSlots: make(chan struct{}, max(1, cfg.MaxBindingsInFlight)),
	}
	nsInformer := factory.Core().V1().Namespaces()
	s.namespaces = nsInformer.Lister()
	s.profile = plugins.Default(func(ns string) labels.Set {
		n, err := s.namespaces.Get(ns)
		if err != nil {
			return nil
		}
		return n.Labels
	})
	if err := s.addEventHandlers(factory); err != nil {
		return nil, err
	}
	s.synced = append(s.synced, nsInformer.Informer().HasSynced)
	return s, nil
}

// Run schedules pods until ctx ends: it waits for the informer caches,
// then runs the queue's timers and the scheduling loop (one pod at a
// time; bindings go on in the background).
func (s *Scheduler) Run(ctx context.Context) {
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return
	}
	go s.queue.Run(ctx)
	go wait.Until(s.cache.ExpireAssumed, time.Second, ctx.Done())
	for ctx.Err() == nil {
		s.scheduleOne(ctx)
	}
	s.binding.Wait()
}

// Run runs a scheduler with its own informers and event recorder until
// ctx ends. With LeaderElect it first acquires the Lease
// kube-system/kube-scheduler and stops if it loses it.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	rc := rest.CopyConfig(cfg.RESTConfig)
	rc.UserAgent, rc.QPS, rc.Burst = "tinykube-scheduler", cfg.QPS, cfg.Burst
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	if !cfg.LeaderElect {
		return runScheduler(ctx, cfg, client)
	}
	return leaderelect.Run(ctx, client, "kube-scheduler", cfg.Identity, cfg.Logger, func(ctx context.Context) error {
		return runScheduler(ctx, cfg, client)
	})
}

func runScheduler(ctx context.Context, cfg Config, client kubernetes.Interface) error {
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: cfg.SchedulerName})
	factory := informers.NewSharedInformerFactory(client, 0)
	s, err := New(cfg, client, factory, recorder)
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	cfg.Logger.Info("scheduler: started", "schedulerName", cfg.SchedulerName)
	s.Run(ctx)
	factory.Shutdown()
	return nil
}
