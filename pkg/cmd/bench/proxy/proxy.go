package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	servercmd "github.com/tinykube/tinykube/pkg/cmd/server"
)

type flags struct {
	services, endpoints, runs, changes int
	kubeProxy                          string
	gap                                time.Duration
}

// NewCommand returns `tinykube bench proxy`.
func NewCommand() *cobra.Command {
	f := &flags{services: 1000, endpoints: 10, runs: 5, changes: 10, gap: 1500 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Benchmark the service proxy (and upstream kube-proxy in nftables mode) against many Services",
		Long: `Starts a tinykube server (in-process, on a bridge of its own), creates --services
selectorless Services with an EndpointSlice of --endpoints endpoints each, then
--runs times per proxy: starts the proxy in a fresh network namespace, times its
first sync (process start to rules in place, and the sync's own time as the
proxy logs it), then changes --changes EndpointSlices one at a time and times
each change to the end of the sync that programmed it. With --kube-proxy, the
same for that kube-proxy binary (--proxy-mode nftables). Needs root, ip and nft.
The JSON report goes to stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd.Context(), cmd.ErrOrStderr(), cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.services, "services", f.services, "Services to create")
	fl.IntVar(&f.endpoints, "endpoints", f.endpoints, "endpoints per Service")
	fl.IntVar(&f.runs, "runs", f.runs, "runs per proxy")
	fl.IntVar(&f.changes, "changes", f.changes, "EndpointSlice changes timed per run")
	fl.DurationVar(&f.gap, "change-gap", f.gap, "pause between changes (both proxies sync at most once a second)")
	fl.StringVar(&f.kubeProxy, "kube-proxy", "", "path of an upstream kube-proxy binary to measure too")
	return cmd
}

// Result is one proxy's medians and ranges.
type Result struct {
	Proxy string `json:"proxy"`
	// FirstRules: process start to the first sync's end; FullSync: that
	// sync's own time as the proxy logs it; Change: EndpointSlice update
	// to the end of the sync programming it. Medians over all runs.
	FirstRulesMs   float64   `json:"firstRulesMedianMs"`
	FullSyncMs     float64   `json:"fullSyncMedianMs"`
	ChangeMs       float64   `json:"changeMedianMs"`
	ChangeP90Ms    float64   `json:"changeP90Ms"`
	ChangeRangeMs  []float64 `json:"changeRangeMs"`
	FirstRulesRuns []float64 `json:"firstRulesRunsMs"`
	FullSyncRuns   []float64 `json:"fullSyncRunsMs"`
	// PeakRSS: the proxy process's own VmHWM at the end of each run (the
	// nft commands it runs are not counted), MiB.
	PeakRSSMiB  float64   `json:"peakRSSMedianMiB"`
	PeakRSSRuns []float64 `json:"peakRSSRunsMiB"`
	Chains      int       `json:"serviceChains"`
}

const (
	bridge   = "tkpbench0"
	serverIP = "10.254.77.1"
	nodeIP   = "10.254.77.2"
	nodeName = "bench-node"
)

func sh(args ...string) error {
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (f *flags) run(ctx context.Context, log io.Writer, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := sh("ip", "link", "add", bridge, "type", "bridge"); err != nil {
		return err
	}
	defer sh("ip", "link", "del", bridge)
	if err := sh("ip", "addr", "add", serverIP+"/24", "dev", bridge); err != nil {
		return err
	}
	if err := sh("ip", "link", "set", bridge, "up"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tkpbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The server prints its banner on stdout; the report owns it.
	stdout := os.Stdout
	os.Stdout = os.Stderr
	defer func() { os.Stdout = stdout }()
	sc := servercmd.NewCommand()
	sc.SetArgs([]string{"--data-dir", dir, "--secure-port", "0", "--unsafe-no-fsync", "--bind-address", serverIP, "--service-cluster-ip-range", "10.96.0.0/16"})
	sc.SetOut(io.Discard)
	sctx, scancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sc.ExecuteContext(sctx) }()
	defer func() { scancel(); <-done }()
	kubeconfig := filepath.Join(dir, "admin.kubeconfig")
	var client kubernetes.Interface
	for deadline := time.Now().Add(time.Minute); ; {
		if rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig); err == nil {
			rc.QPS, rc.Burst = 1000, 1000
			if c, err := kubernetes.NewForConfig(rc); err == nil {
				if _, err := c.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err == nil {
					client = c
					break
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready")
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Fprintf(log, "server ready; creating %d Services × %d endpoints\n", f.services, f.endpoints)
	// The node the proxies run as, with its address (kube-proxy waits
	// 30s for one).
	nd, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName},
		Spec: corev1.NodeSpec{PodCIDR: "10.244.0.0/24"}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	nd.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: nodeIP}}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, nd, metav1.UpdateOptions{}); err != nil {
		return err
	}
	if err := f.populate(ctx, client); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ours := func(ns string) []string {
		return []string{self, "proxy", "--kubeconfig", kubeconfig, "--hostname-override", nodeName, "--cluster-cidr", "10.244.0.0/16", "-v", "2"}
	}
	// done matches the line a proxy logs at the end of each sync, failed
	// a failed sync (kube-proxy logs "Sync failed" and then its
	// "SyncProxyRules complete" as for a good one).
	type impl struct {
		name         string
		args         func(string) []string
		done, failed *regexp.Regexp
		svcPfx       string
		elapsed      *regexp.Regexp
	}
	impls := []impl{{"tinykube proxy", ours, regexp.MustCompile(`service proxy: synced`), regexp.MustCompile(`service proxy: sync failed`),
		"svc-", regexp.MustCompile(`took=(\S+)`)}}
	if f.kubeProxy != "" {
		impls = append(impls, impl{"kube-proxy", func(string) []string {
			return []string{f.kubeProxy, "--kubeconfig", kubeconfig, "--proxy-mode", "nftables", "--hostname-override", nodeName,
				"--cluster-cidr", "10.244.0.0/16", "--conntrack-max-per-core", "0", "--v", "2"}
		}, regexp.MustCompile(`SyncProxyRules complete.*IPv4`), regexp.MustCompile(`"Sync failed".*IPv4`),
			"service-", regexp.MustCompile(`elapsed="([^"]+)"`)})
	}
	// Runs alternate between the proxies (ABBA…), so that the machine's
	// load drifting hits both alike.
	results := make([]Result, len(impls))
	changes := make([][]float64, len(impls))
	for run := range f.runs {
		for k := range impls {
			i := k
			if run%2 == 1 {
				i = len(impls) - 1 - k
			}
			im := impls[i]
			r := &results[i]
			r.Proxy = im.name
			fr, fs, ch, chains, rss, err := f.once(ctx, client, log, im.args, im.done, im.failed, im.elapsed, im.svcPfx, run)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", im.name, run, err)
			}
			r.FirstRulesRuns = append(r.FirstRulesRuns, fr)
			r.FullSyncRuns = append(r.FullSyncRuns, fs)
			r.PeakRSSRuns = append(r.PeakRSSRuns, rss)
			changes[i] = append(changes[i], ch...)
			r.Chains = chains
			fmt.Fprintf(log, "%s run %d: first rules %.0fms (sync %.0fms), change median %.0fms, %d service chains, peak RSS %.0f MiB\n", im.name, run, fr, fs, pct(ch, 50), chains, rss)
		}
	}
	for i := range results {
		r := &results[i]
		r.FirstRulesMs, r.FullSyncMs, r.ChangeMs, r.ChangeP90Ms = pct(r.FirstRulesRuns, 50), pct(r.FullSyncRuns, 50), pct(changes[i], 50), pct(changes[i], 90)
		r.ChangeRangeMs = []float64{pct(changes[i], 0), pct(changes[i], 100)}
		r.PeakRSSMiB = pct(r.PeakRSSRuns, 50)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"services": f.services, "endpointsPerService": f.endpoints, "runs": f.runs, "changesPerRun": f.changes, "results": results})
}

func pct(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func (f *flags) populate(ctx context.Context, client kubernetes.Interface) error {
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i := range f.services {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := fmt.Sprintf("svc-%04d", i)
			_, err := client.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}, metav1.CreateOptions{})
			if err == nil {
				_, err = client.DiscoveryV1().EndpointSlices("default").Create(ctx, slice(name, i, f.endpoints, 0), metav1.CreateOptions{})
			}
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// slice is Service i's EndpointSlice: n endpoints in 10.100.0.0/14,
// shifted by gen (a changed slice has new addresses).
func slice(name string, i, n, gen int) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](8080)}}}
	for j := range n {
		k := i*n + j + gen*7
		ip := net.IPv4(10, byte(100+k>>16&3), byte(k>>8), byte(k))
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip.String()}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	}
	return s
}

type line struct {
	at     time.Time
	text   string
	failed bool // a failed-sync line came since the previous sync's end
}

// once runs one proxy in a fresh network namespace: its first sync, then
// the timed changes.
func (f *flags) once(ctx context.Context, client kubernetes.Interface, log io.Writer, args func(string) []string, done, failed, elapsed *regexp.Regexp,
	svcPfx string, run int) (first, full float64, changes []float64, chains int, rssMiB float64, err error) {
	ns := fmt.Sprintf("tkpbench-%d", rand.IntN(1e6))
	host, peer := "tkpbh"+ns[9:], "tkpbp"+ns[9:]
	for _, c := range [][]string{{"ip", "netns", "add", ns}, {"ip", "link", "add", host, "type", "veth", "peer", "name", peer},
		{"ip", "link", "set", peer, "netns", ns}, {"ip", "link", "set", host, "master", bridge}, {"ip", "link", "set", host, "up"},
		{"ip", "-n", ns, "addr", "add", nodeIP + "/24", "dev", peer}, {"ip", "-n", ns, "link", "set", peer, "up"},
		{"ip", "-n", ns, "link", "set", "lo", "up"}} {
		if err = sh(c...); err != nil {
			return
		}
	}
	defer sh("ip", "netns", "del", ns)
	if d := os.Getenv("TINYKUBE_BENCH_PROXY_DUMP"); d != "" {
		defer func() {
			out, _ := exec.Command("ip", "netns", "exec", ns, "nft", "list", "ruleset").Output()
			_ = os.WriteFile(filepath.Join(d, fmt.Sprintf("%s-%d.nft", svcPfx, run)), out, 0o644)
		}()
	}
	defer sh("ip", "link", "del", host)
	a := args(ns)
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"--net=/var/run/netns/" + ns}, a...)...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	lines := make(chan line, 1000)
	var logBuf strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		bad := false
		for sc.Scan() {
			l := line{time.Now(), sc.Text(), false}
			logMu.Lock()
			logBuf.WriteString(l.text + "\n")
			logMu.Unlock()
			if failed.MatchString(l.text) {
				bad = true
			}
			if done.MatchString(l.text) {
				l.failed, bad = bad, false
				lines <- l
			}
		}
	}()
	start := time.Now()
	if err = cmd.Start(); err != nil {
		return
	}
	defer func() {
		// The proxy is nsenter's pid (nsenter execs it).
		rssMiB = peakRSS(cmd.Process.Pid)
		_ = cmd.Process.Signal(os.Interrupt)
		wait := make(chan struct{})
		go func() { _ = cmd.Wait(); close(wait) }()
		select {
		case <-wait:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-wait
		}
		pw.Close()
		if err != nil || os.Getenv("TINYKUBE_BENCH_PROXY_LOG") != "" {
			logMu.Lock()
			fmt.Fprintf(log, "log:\n%s\n", logBuf.String())
			logMu.Unlock()
		}
	}()
	next := func(after time.Time) (line, error) {
		for {
			select {
			case l := <-lines:
				if l.failed {
					return line{}, fmt.Errorf("sync failed: %s", l.text)
				}
				if l.at.After(after) {
					return l, nil
				}
			case <-time.After(60 * time.Second):
				return line{}, fmt.Errorf("no sync within a minute")
			}
		}
	}
	l, err := next(start)
	if err != nil {
		return
	}
	first = ms(l.at.Sub(start))
	if m := elapsed.FindStringSubmatch(l.text); m != nil {
		if d, perr := time.ParseDuration(m[1]); perr == nil {
			full = ms(d)
		}
	}
	// A Service port's chain is PREFIX-HASH-ns/name/proto/port (the
	// slash leaves out kube-proxy's service-endpoints-check base chain).
	out, _ := exec.Command("ip", "netns", "exec", ns, "nft", "list", "chains").Output()
	for _, s := range strings.Split(string(out), "\n") {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "chain "+svcPfx) && strings.Contains(s, "/") && !strings.Contains(s, "-ep-") {
			chains++
		}
	}
	// Every benchmark Service has endpoints, so a chain: fewer means the
	// first sync did not have them all, and its time is not the full one.
	if chains < f.services {
		err = fmt.Errorf("first sync programmed %d Service chains for %d Services", chains, f.services)
		return
	}
	time.Sleep(f.gap)
	for c := range f.changes {
		i := rand.IntN(f.services)
		name := fmt.Sprintf("svc-%04d", i)
		sl := slice(name, i, f.endpoints, run*f.changes+c+1)
		// Drain stale completions (periodic syncs).
		for len(lines) > 0 {
			<-lines
		}
		t0 := time.Now()
		if _, err = client.DiscoveryV1().EndpointSlices("default").Update(ctx, sl, metav1.UpdateOptions{}); err != nil {
			return
		}
		if l, err = next(t0); err != nil {
			return
		}
		changes = append(changes, ms(l.at.Sub(t0)))
		time.Sleep(f.gap)
	}
	return
}

// peakRSS is a process's VmHWM in MiB (0 if unreadable).
func peakRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%f kB", &kb); err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
