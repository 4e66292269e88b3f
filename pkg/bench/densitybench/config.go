package densitybench

import (
	"errors"
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
)

// Config configures a run. Start from DefaultConfig and call Validate.
type Config struct {
	// RESTConfig points at the API server; QPS, Burst and content type
	// are overridden per the fields below.
	RESTConfig *rest.Config `json:"-"`
	// Target is a display name for the server (its URL) in the report.
	Target string `json:"target"`

	// Nodes is how many Ready nodes to wait for before starting.
	Nodes int `json:"nodes"`
	// Pods is the total number of replicas, split evenly over Deployments.
	Pods        int `json:"pods"`
	Deployments int `json:"deployments"`
	// PodCPU and PodMemory are each container's requests (quantities).
	PodCPU    string `json:"pod_cpu"`
	PodMemory string `json:"pod_memory"`
	Image     string `json:"image"`
	// CreateConcurrency is how many Deployments are created at once.
	CreateConcurrency int `json:"create_concurrency"`

	// ProbeRate is the probe's ConfigMap writes per second during the run
	// (0 disables the probe).
	ProbeRate float64 `json:"probe_rate"`
	// ServerPID, when > 0, is the API server's process on this machine;
	// its VmRSS is sampled every RSSInterval.
	ServerPID   int           `json:"server_pid"`
	RSSInterval time.Duration `json:"rss_interval"`

	NodeTimeout    time.Duration `json:"node_timeout"`
	Timeout        time.Duration `json:"timeout"`
	CleanupTimeout time.Duration `json:"cleanup_timeout"`

	QPS   float32 `json:"qps"`
	Burst int     `json:"burst"`

	// Namespace overrides the generated tinykube-density-<id> namespace.
	// It must not exist yet, so that every pod in it belongs to the run.
	Namespace     string `json:"namespace"`
	KeepNamespace bool   `json:"keep_namespace"`

	// Log receives progress lines; nil discards them.
	Log io.Writer `json:"-"`
}

// DefaultConfig returns the settings `tinykube bench density` uses by
// default: 100 nodes, 3,000 pods in 10 Deployments, requests small enough
// that 30 pods fit on a 1-CPU node.
func DefaultConfig() Config {
	return Config{
		Nodes:             100,
		Pods:              3000,
		Deployments:       10,
		PodCPU:            "10m",
		PodMemory:         "16Mi",
		Image:             "registry.k8s.io/pause:3.10",
		CreateConcurrency: 8,
		ProbeRate:         10,
		RSSInterval:       time.Second,
		NodeTimeout:       5 * time.Minute,
		Timeout:           15 * time.Minute,
		CleanupTimeout:    3 * time.Minute,
		QPS:               100000,
		Burst:             100000,
	}
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	switch {
	case c.RESTConfig == nil:
		return errors.New("no REST config (kubeconfig)")
	case c.Nodes < 0:
		return errors.New("--nodes must not be negative")
	case c.Pods < 1:
		return errors.New("--pods must be > 0")
	case c.Deployments < 1:
		return errors.New("--deployments must be > 0")
	case c.Deployments > c.Pods:
		return fmt.Errorf("--deployments %d > --pods %d: every Deployment needs a pod", c.Deployments, c.Pods)
	case c.CreateConcurrency < 1:
		return errors.New("--create-concurrency must be > 0")
	case c.ProbeRate < 0:
		return errors.New("--probe-rate must not be negative")
	case c.ServerPID < 0:
		return errors.New("--server-pid must not be negative")
	case c.ServerPID > 0 && c.RSSInterval <= 0:
		return errors.New("--rss-interval must be > 0")
	case c.NodeTimeout <= 0 || c.Timeout <= 0 || c.CleanupTimeout <= 0:
		return errors.New("timeouts must be > 0")
	case c.Image == "":
		return errors.New("--image must not be empty")
	}
	for flag, q := range map[string]string{"--pod-cpu": c.PodCPU, "--pod-memory": c.PodMemory} {
		if _, err := resource.ParseQuantity(q); err != nil {
			return fmt.Errorf("%s: %w", flag, err)
		}
	}
	return nil
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}
