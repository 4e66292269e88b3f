package node

import (
	"os"
	"path/filepath"
	"reflect"
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
