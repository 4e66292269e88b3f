package etcdbench

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Client modes, as for the API benchmark.
const (
	// ClientShared gives all workers one etcd client (one gRPC connection,
	// requests multiplexed), like an API server's storage backend.
	ClientShared = "shared"
	// ClientPerWorker gives each worker its own client and connection.
	ClientPerWorker = "per-worker"
)

// Phase groups that can be selected.
const (
	PhaseCRUD = "crud"
	PhaseList = "list"
)

// Config configures a run. Start from DefaultConfig and call Validate.
type Config struct {
	Endpoints   []string      `json:"endpoints"`
	Prefix      string        `json:"prefix"`
	Phases      []string      `json:"phases"`
	Concurrency []int         `json:"concurrency"`
	Count       int           `json:"count"`
	Duration    time.Duration `json:"duration"`
	ClientMode  string        `json:"client_mode"`
	DialTimeout time.Duration `json:"dial_timeout"`

	ListObjects    int `json:"list_objects"`
	ListIterations int `json:"list_iterations"`

	// Log receives progress lines; nil discards them.
	Log io.Writer `json:"-"`
}

// DefaultConfig returns the settings `tinykube bench etcd` uses by default.
func DefaultConfig() Config {
	return Config{
		Endpoints:      []string{"http://127.0.0.1:2379"},
		Prefix:         "/bench-raw/",
		Phases:         []string{PhaseCRUD, PhaseList},
		Concurrency:    []int{1, 32},
		Count:          1000,
		ClientMode:     ClientShared,
		DialTimeout:    5 * time.Second,
		ListObjects:    10000,
		ListIterations: 10,
	}
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	if len(c.Endpoints) == 0 {
		return errors.New("no etcd endpoints")
	}
	// Never let a run write into the API server's own keyspace.
	p := "/" + strings.Trim(c.Prefix, "/") + "/"
	if p == "//" || strings.HasPrefix(p, "/registry/") {
		return fmt.Errorf("refusing key prefix %q: use a dedicated prefix such as /bench-raw/", c.Prefix)
	}
	c.Prefix = p
	for _, ph := range c.Phases {
		if ph != PhaseCRUD && ph != PhaseList {
			return fmt.Errorf("unknown phase %q (want crud, list)", ph)
		}
	}
	if len(c.Concurrency) == 0 || slices.Min(c.Concurrency) < 1 {
		return errors.New("concurrency levels must be >= 1")
	}
	if c.Count < 1 && c.Duration <= 0 {
		return errors.New("need --count > 0 or --duration > 0")
	}
	if c.ClientMode != ClientShared && c.ClientMode != ClientPerWorker {
		return fmt.Errorf("unknown client mode %q (want %s or %s)", c.ClientMode, ClientShared, ClientPerWorker)
	}
	if c.ListObjects < 0 || c.ListIterations < 0 {
		return errors.New("list sizes must not be negative")
	}
	return nil
}

func (c *Config) has(phase string) bool { return slices.Contains(c.Phases, phase) }

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}
