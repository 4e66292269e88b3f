package apibench

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"k8s.io/client-go/rest"
)

// Client modes: how workers share connections to the API server.
const (
	// ClientShared gives all workers of a phase one client, hence one
	// transport and (over HTTP/2) one multiplexed TCP connection, the way a
	// controller process talks to the API server.
	ClientShared = "shared"
	// ClientPerWorker gives each worker (and each watcher) its own client
	// with its own transport and connection.
	ClientPerWorker = "per-worker"
)

// Phase groups that can be selected.
const (
	PhaseCRUD  = "crud"
	PhaseList  = "list"
	PhaseWatch = "watch"
)

// Content types the clients can negotiate.
const (
	ContentProtobuf = "protobuf"
	ContentJSON     = "json"
)

// What watchers decode of each event (Config.WatchDecode).
const (
	WatchDecodeMetadata = "metadata"
	WatchDecodeFull     = "full"
)

// Config configures a run. Start from DefaultConfig and call Validate.
type Config struct {
	// RESTConfig points at the API server; QPS, Burst, content type and
	// transport are overridden per the fields below.
	RESTConfig *rest.Config `json:"-"`
	// Target is a display name for the server (its URL) in the report.
	Target string `json:"target"`

	Phases      []string      `json:"phases"`
	Concurrency []int         `json:"concurrency"`
	Count       int           `json:"count"`
	Duration    time.Duration `json:"duration"`
	ClientMode  string        `json:"client_mode"`
	ContentType string        `json:"content_type"`
	QPS         float32       `json:"qps"`
	Burst       int           `json:"burst"`

	ListObjects     int `json:"list_objects"`
	ListIterations  int `json:"list_iterations"`
	ListConcurrency int `json:"list_create_concurrency"`

	Watchers     int           `json:"watchers"`
	WatchEvents  int           `json:"watch_events"`
	WatchRate    float64       `json:"watch_rate"`
	WatchTimeout time.Duration `json:"watch_timeout"`
	// WatchDecode is how much of each event the watchers decode:
	// WatchDecodeMetadata (default) only the object's metadata, as a
	// metadata informer does; WatchDecodeFull the whole typed Pod, as a
	// typed informer does. With 1,000 watchers in one process on a small
	// machine, full decoding is most of the CPU and the delay it adds is
	// the client's, not the server's.
	WatchDecode string `json:"watch_decode"`

	// Namespace overrides the generated tinykube-bench-<id> namespace. It is
	// created if missing and deleted at the end unless KeepNamespace.
	Namespace     string `json:"namespace"`
	KeepNamespace bool   `json:"keep_namespace"`

	// Log receives progress lines; nil discards them.
	Log io.Writer `json:"-"`
}

// DefaultConfig returns the settings `tinykube bench api` uses by default.
func DefaultConfig() Config {
	return Config{
		Phases:         []string{PhaseCRUD, PhaseList, PhaseWatch},
		Concurrency:    []int{1, 32},
		Count:          1000,
		ClientMode:     ClientShared,
		ContentType:    ContentProtobuf,
		QPS:            100000,
		Burst:          100000,
		ListObjects:    10000,
		ListIterations: 10,
		Watchers:       1000,
		WatchEvents:    200,
		WatchRate:      50,
		WatchTimeout:   60 * time.Second,
		WatchDecode:    WatchDecodeMetadata,
	}
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	if c.RESTConfig == nil {
		return errors.New("no REST config (kubeconfig)")
	}
	if len(c.Phases) == 0 {
		return errors.New("no phases selected")
	}
	for _, p := range c.Phases {
		if !slices.Contains([]string{PhaseCRUD, PhaseList, PhaseWatch}, p) {
			return fmt.Errorf("unknown phase %q (want crud, list, watch)", p)
		}
	}
	if len(c.Concurrency) == 0 {
		return errors.New("no concurrency levels")
	}
	for _, n := range c.Concurrency {
		if n < 1 {
			return fmt.Errorf("concurrency %d < 1", n)
		}
	}
	if c.Count < 1 && c.Duration <= 0 {
		return errors.New("need --count > 0 or --duration > 0")
	}
	if c.ClientMode != ClientShared && c.ClientMode != ClientPerWorker {
		return fmt.Errorf("unknown client mode %q (want %s or %s)", c.ClientMode, ClientShared, ClientPerWorker)
	}
	if c.WatchDecode != WatchDecodeMetadata && c.WatchDecode != WatchDecodeFull {
		return fmt.Errorf("unknown watch decode %q (want %s or %s)", c.WatchDecode, WatchDecodeMetadata, WatchDecodeFull)
	}
	if c.ContentType != ContentProtobuf && c.ContentType != ContentJSON {
		return fmt.Errorf("unknown content type %q (want %s or %s)", c.ContentType, ContentProtobuf, ContentJSON)
	}
	if c.ListObjects < 0 || c.ListIterations < 0 || c.Watchers < 0 || c.WatchEvents < 0 {
		return errors.New("list/watch sizes must not be negative")
	}
	if c.WatchRate <= 0 {
		return errors.New("--watch-rate must be > 0")
	}
	return nil
}

func (c *Config) has(phase string) bool { return slices.Contains(c.Phases, phase) }

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}
