package node

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestPodDNSConfig: each dnsPolicy gives the resolv.conf the kubelet
// writes (pkg/kubelet/network/dns's cases).
func TestPodDNSConfig(t *testing.T) {
	dir := t.TempDir()
	resolv := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("# host\nnameserver 192.0.2.53\nnameserver 192.0.2.54 # second\nsearch old.example\nsearch corp.example. lab.example .\noptions ndots:1 timeout:2\noptions ndots:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	host, err := readResolvConf(resolv)
	if err != nil {
		t.Fatal(err)
	}
	wantHost := &runtimeapi.DNSConfig{Servers: []string{"192.0.2.53", "192.0.2.54"}, Searches: []string{"corp.example", "lab.example"}, Options: []string{"ndots:2", "timeout:2"}}
	if !reflect.DeepEqual(host, wantHost) {
		t.Fatalf("host resolv.conf read as %v, want %v", host, wantHost)
	}
	cluster := []string{"10.0.0.10"}
	clusterSearch := []string{"team.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example"}
	val := func(s string) *string { return &s }
	tests := []struct {
		name       string
		spec       corev1.PodSpec
		clusterDNS []string
		want       *runtimeapi.DNSConfig
	}{
		{"ClusterFirst (the default)", corev1.PodSpec{}, cluster,
			&runtimeapi.DNSConfig{Servers: cluster, Searches: clusterSearch, Options: []string{"ndots:5"}}},
		{"ClusterFirst", corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirst}, cluster,
			&runtimeapi.DNSConfig{Servers: cluster, Searches: clusterSearch, Options: []string{"ndots:5"}}},
		{"ClusterFirst without cluster DNS is Default", corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirst}, nil, wantHost},
		{"ClusterFirst on the host network is Default", corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirst, HostNetwork: true}, cluster, wantHost},
		{"ClusterFirstWithHostNet", corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirstWithHostNet, HostNetwork: true}, cluster,
			&runtimeapi.DNSConfig{Servers: cluster, Searches: clusterSearch, Options: []string{"ndots:5"}}},
		{"ClusterFirstWithHostNet off the host network", corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirstWithHostNet}, cluster,
			&runtimeapi.DNSConfig{Servers: cluster, Searches: clusterSearch, Options: []string{"ndots:5"}}},
		{"Default", corev1.PodSpec{DNSPolicy: corev1.DNSDefault}, cluster, wantHost},
		{"None with dnsConfig", corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{
			Nameservers: []string{"203.0.113.1"}, Searches: []string{"my.example"},
			Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: val("3")}, {Name: "edns0"}}}}, cluster,
			&runtimeapi.DNSConfig{Servers: []string{"203.0.113.1"}, Searches: []string{"my.example"}, Options: []string{"ndots:3", "edns0"}}},
		{"ClusterFirst with dnsConfig: appended, duplicates dropped, options overridden", corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{
			Nameservers: []string{"10.0.0.10", "203.0.113.1"}, Searches: []string{"svc.cluster.local", "my.example"},
			Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: val("2")}, {Name: "single-request-reopen"}}}}, cluster,
			&runtimeapi.DNSConfig{Servers: []string{"10.0.0.10", "203.0.113.1"}, Searches: append(clusterSearch, "my.example"),
				Options: []string{"ndots:2", "single-request-reopen"}}},
		{"at most 3 nameservers", corev1.PodSpec{DNSPolicy: corev1.DNSDefault, DNSConfig: &corev1.PodDNSConfig{
			Nameservers: []string{"203.0.113.1", "203.0.113.2"}}}, cluster,
			&runtimeapi.DNSConfig{Servers: []string{"192.0.2.53", "192.0.2.54", "203.0.113.1"}, Searches: wantHost.Searches, Options: wantHost.Options}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team"}, Spec: tt.spec}
			got := podDNSConfig(pod, tt.clusterDNS, "cluster.local", host)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	// Search paths are cut at 32 and at 2048 characters.
	var many []string
	for i := range 40 {
		many = append(many, strings.Repeat("x", 60)+string(rune('a'+i%26))+".example")
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "team"}, Spec: corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Searches: many}}}
	got := podDNSConfig(pod, cluster, "cluster.local", host)
	if n := len(strings.Join(got.Searches, " ")); len(got.Searches) > 32 || n > 2048 {
		t.Errorf("%d search paths, %d characters", len(got.Searches), n)
	}
	// A missing resolv.conf is an empty one.
	if h, err := readResolvConf(filepath.Join(dir, "missing")); err != nil || len(h.Servers) != 0 {
		t.Errorf("missing resolv.conf: %v %v", h, err)
	}
}

// TestReadResolvConf: the host's resolv.conf as the kubelet reads it.
func TestReadResolvConf(t *testing.T) {
	long := strings.Repeat("d", 70_000) + ".example" // past bufio.Scanner's 64 KiB line
	tests := []struct {
		name, text string
		want       *runtimeapi.DNSConfig
	}{
		{"empty", "", &runtimeapi.DNSConfig{}},
		{"comments and blank lines", "# nameserver 192.0.2.1\n; nameserver 192.0.2.2\n\n   \nnameserver 192.0.2.3 ; trailing\n",
			&runtimeapi.DNSConfig{Servers: []string{"192.0.2.3"}}},
		{"CRLF line ends, tabs, no final newline", "nameserver\t192.0.2.1\r\nsearch a.example\tb.example\r\noptions rotate",
			&runtimeapi.DNSConfig{Servers: []string{"192.0.2.1"}, Searches: []string{"a.example", "b.example"}, Options: []string{"rotate"}}},
		{"a bare nameserver line is skipped", "nameserver\nnameserver 192.0.2.1\n",
			&runtimeapi.DNSConfig{Servers: []string{"192.0.2.1"}}},
		{"every nameserver is kept (the limit is applied per pod)", "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 2001:db8::1\n",
			&runtimeapi.DNSConfig{Servers: []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "2001:db8::1"}}},
		{"the last search line wins, even an empty one", "search a.example\nsearch\n", &runtimeapi.DNSConfig{}},
		{"search: root and trailing dots dropped", "search . a.example. b.example\n",
			&runtimeapi.DNSConfig{Searches: []string{"a.example", "b.example"}}},
		{"options on several lines: the last of a name wins where the first stood", "options ndots:1 edns0\noptions timeout:3 ndots:3\n",
			&runtimeapi.DNSConfig{Options: []string{"ndots:3", "edns0", "timeout:3"}}},
		{"unknown keywords ignored", "domain example.org\nsortlist 192.0.2.0/24\nlookup file bind\nnameserver 192.0.2.1\n",
			&runtimeapi.DNSConfig{Servers: []string{"192.0.2.1"}}},
		{"a search line past 64 KiB", "nameserver 192.0.2.1\nsearch " + long + "\n",
			&runtimeapi.DNSConfig{Servers: []string{"192.0.2.1"}, Searches: []string{long}}},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("resolv-%d.conf", i))
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readResolvConf(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	// Larger than the kubelet reads (10 MiB): an error, not a truncated config.
	big := filepath.Join(dir, "big.conf")
	if err := os.WriteFile(big, []byte("nameserver 192.0.2.1\n"+strings.Repeat("#", 10<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readResolvConf(big); err == nil {
		t.Error("a resolv.conf over 10 MiB read without error")
	}
	// A path that is a directory is an error; a missing file is not.
	if _, err := readResolvConf(dir); err == nil {
		t.Error("a directory read as resolv.conf without error")
	}
}

// TestPodDNSConfigPolicies: the corners of dnsPolicy the kubelet decides.
func TestPodDNSConfigPolicies(t *testing.T) {
	host := &runtimeapi.DNSConfig{Servers: []string{"192.0.2.53"}, Searches: []string{"corp.example"}, Options: []string{"timeout:2"}}
	cluster := []string{"10.0.0.10"}
	clusterFirst := &runtimeapi.DNSConfig{Servers: cluster, Searches: []string{"team.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"}, Options: []string{"ndots:5"}}
	val := func(s string) *string { return &s }
	tests := []struct {
		name   string
		spec   corev1.PodSpec
		domain string
		want   *runtimeapi.DNSConfig
	}{
		{"unset on the host network is ClusterFirst there: the host's", corev1.PodSpec{HostNetwork: true}, "cluster.local", host},
		{"an unknown policy is ClusterFirst", corev1.PodSpec{DNSPolicy: "Bogus", HostNetwork: true}, "cluster.local", clusterFirst},
		{"None without dnsConfig is empty", corev1.PodSpec{DNSPolicy: corev1.DNSNone}, "cluster.local", &runtimeapi.DNSConfig{}},
		{"another cluster domain", corev1.PodSpec{}, "k8s.example",
			&runtimeapi.DNSConfig{Servers: cluster, Searches: []string{"team.svc.k8s.example", "svc.k8s.example", "k8s.example", "corp.example"}, Options: []string{"ndots:5"}}},
		{"a host search equal to the cluster's is not repeated", corev1.PodSpec{}, "corp.example",
			&runtimeapi.DNSConfig{Servers: cluster, Searches: []string{"team.svc.corp.example", "svc.corp.example", "corp.example"}, Options: []string{"ndots:5"}}},
		{"Default with dnsConfig: options merged into the host's", corev1.PodSpec{DNSPolicy: corev1.DNSDefault, DNSConfig: &corev1.PodDNSConfig{
			Options: []corev1.PodDNSConfigOption{{Name: "timeout", Value: val("5")}, {Name: "ndots", Value: val("1")}}}}, "cluster.local",
			&runtimeapi.DNSConfig{Servers: host.Servers, Searches: host.Searches, Options: []string{"timeout:5", "ndots:1"}}},
		{"an option with an empty value is its bare name", corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{
			Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: val("")}, {Name: "use-vc", Value: val("")}}}}, "cluster.local",
			&runtimeapi.DNSConfig{Servers: cluster, Searches: clusterFirst.Searches, Options: []string{"ndots", "use-vc"}}},
		{"ClusterFirstWithHostNet keeps the cluster's nameservers first, then the pod's, 3 at most", corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirstWithHostNet, HostNetwork: true,
			DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}}}, "cluster.local",
			&runtimeapi.DNSConfig{Servers: []string{"10.0.0.10", "203.0.113.1", "203.0.113.2"}, Searches: clusterFirst.Searches, Options: []string{"ndots:5"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team"}, Spec: tt.spec}
			got := podDNSConfig(pod, cluster, tt.domain, host)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	// The host's config is not changed by a pod's.
	if want := (&runtimeapi.DNSConfig{Servers: []string{"192.0.2.53"}, Searches: []string{"corp.example"}, Options: []string{"timeout:2"}}); !reflect.DeepEqual(host, want) {
		t.Errorf("host config changed to %v", host)
	}
}

// TestPodDNSConfigSearchLimits: search paths are cut as the kubelet cuts
// them: to 32, then paths over 253 characters dropped, then the last
// ones until the line fits 2048 characters.
func TestPodDNSConfigSearchLimits(t *testing.T) {
	host := &runtimeapi.DNSConfig{Servers: []string{"192.0.2.53"}}
	names := func(n, length int) []string {
		var out []string
		for i := range n {
			s := fmt.Sprintf("%d.", i)
			out = append(out, s+strings.Repeat("x", length-len(s)))
		}
		return out
	}
	// 33 short names: the 33rd goes.
	short := names(33, 10)
	// 12 of 200 characters: 12*200+11 = 2411 > 2048; 10 of them fit (2009).
	wide := names(12, 200)
	// A 254-character path among short ones is dropped, the rest kept.
	tooLong := append(names(2, 10), strings.Repeat("y", 254), "z.example")
	// 35 names, the 3rd too long: cut to 32 first, then the long one dropped: 31.
	countThenLength := names(35, 10)
	countThenLength[2] = strings.Repeat("y", 254)
	tests := []struct {
		name   string
		policy corev1.DNSPolicy
		search []string
		want   []string
	}{
		{"32 paths at most", corev1.DNSNone, short, short[:32]},
		{"2048 characters at most, the last dropped", corev1.DNSNone, wide, wide[:10]},
		{"a path over 253 characters", corev1.DNSNone, tooLong, []string{tooLong[0], tooLong[1], "z.example"}},
		{"the count is cut before long paths are dropped", corev1.DNSNone, countThenLength, slices.Delete(slices.Clone(countThenLength[:32]), 2, 3)},
		{"the cluster's 3 paths count", corev1.DNSClusterFirst, short[:31],
			append([]string{"team.svc.cluster.local", "svc.cluster.local", "cluster.local"}, short[:29]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team"},
				Spec: corev1.PodSpec{DNSPolicy: tt.policy, DNSConfig: &corev1.PodDNSConfig{Searches: slices.Clone(tt.search)}}}
			got := podDNSConfig(pod, []string{"10.0.0.10"}, "cluster.local", host)
			if !reflect.DeepEqual(got.Searches, tt.want) {
				t.Errorf("got  %d paths %v\nwant %d paths %v", len(got.Searches), got.Searches, len(tt.want), tt.want)
			}
			if n := len(strings.Join(got.Searches, " ")); n > 2048 {
				t.Errorf("search line of %d characters", n)
			}
		})
	}
}

// TestDNSConfigFollowsClusterDNS: a node following the cluster DNS
// (RealNode.FollowClusterDNS) asks for it at each sandbox; a fixed
// ClusterDNS wins over it.
func TestDNSConfigFollowsClusterDNS(t *testing.T) {
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 192.0.2.53\nsearch host.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var now []string
	a := &Agent{cfg: Config{Real: &RealNode{ResolvConf: resolv, ClusterDomain: "cluster.local",
		FollowClusterDNS: func() []string { return now }}}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}}
	servers := func() []string {
		t.Helper()
		c, err := a.dnsConfig(pod)
		if err != nil {
			t.Fatal(err)
		}
		return c.Servers
	}
	if got := servers(); !slices.Equal(got, []string{"192.0.2.53"}) {
		t.Errorf("no cluster DNS yet: %v, want the host's", got)
	}
	now = []string{"10.96.0.10"}
	if got := servers(); !slices.Equal(got, now) {
		t.Errorf("cluster DNS found: %v, want %v", got, now)
	}
	a.cfg.Real.ClusterDNS = []string{"10.0.0.53"}
	if got := servers(); !slices.Equal(got, []string{"10.0.0.53"}) {
		t.Errorf("--cluster-dns given: %v, want it", got)
	}
}
