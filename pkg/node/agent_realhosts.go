package node

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A real pod's /etc/hosts is the node's, as the kubelet manages it: one
// file per pod (DATA-DIR/pods/<uid>/etc-hosts, with its volumes) that
// every container mounts, naming the pod's own hostname (and FQDN, with
// a subdomain) at its IPs, plus spec.hostAliases. A host-network pod's
// file starts from the machine's /etc/hosts instead. A container that
// mounts something at /etc/hosts itself keeps that.

// etcHostsHeader starts a kubelet-managed file; the e2e suite checks
// for it.
const (
	etcHostsHeader            = "# Kubernetes-managed hosts file.\n"
	etcHostsHeaderHostNetwork = "# Kubernetes-managed hosts file (host network).\n"
)

// etcHostsMount writes pod's hosts file (again: its IPs may be new after
// a sandbox was replaced) and returns the mount of it for container c,
// or nil when c mounts its own /etc/hosts or the pod has no IP yet.
func (a *Agent) etcHostsMount(pod *corev1.Pod, c *corev1.Container, rec *podRecord) (*runtimeapi.Mount, error) {
	for _, m := range c.VolumeMounts {
		if filepath.Clean(m.MountPath) == "/etc/hosts" {
			return nil, nil
		}
	}
	if rec.node.volumes == nil || (len(rec.ips) == 0 && !pod.Spec.HostNetwork) {
		return nil, nil
	}
	var content string
	if pod.Spec.HostNetwork {
		host, err := os.ReadFile("/etc/hosts")
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("host /etc/hosts: %w", err)
		}
		content = etcHostsHeaderHostNetwork + string(host) + hostAliases(pod)
	} else {
		content = managedEtcHosts(pod, rec.ips, a.clusterDomain())
	}
	dir := rec.node.volumes.PodDir(pod.UID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("pod directory: %w", err)
	}
	path := filepath.Join(dir, "etc-hosts")
	// Write then rename: a running container of the pod never reads half
	// a file.
	if err := os.WriteFile(path+".tmp", []byte(content), 0o644); err != nil {
		return nil, fmt.Errorf("pod hosts file: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return nil, fmt.Errorf("pod hosts file: %w", err)
	}
	return &runtimeapi.Mount{ContainerPath: "/etc/hosts", HostPath: path}, nil
}

func (a *Agent) clusterDomain() string {
	if d := a.cfg.Real.ClusterDomain; d != "" {
		return d
	}
	return "cluster.local"
}

// managedEtcHosts is the hosts file of a pod with its own network:
// localhost entries, the pod's hostname at each of its IPs (with the
// FQDN <hostname>.<subdomain>.<namespace>.svc.<domain> first when
// spec.subdomain is set), then the host aliases.
func managedEtcHosts(pod *corev1.Pod, ips []string, domain string) string {
	var b strings.Builder
	b.WriteString(etcHostsHeader)
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\n")
	b.WriteString("fe00::0\tip6-mcastprefix\n")
	b.WriteString("fe00::1\tip6-allnodes\n")
	b.WriteString("fe00::2\tip6-allrouters\n")
	host := podHostname(pod)
	for _, ip := range ips {
		if pod.Spec.Subdomain != "" {
			fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.%s\t%s\n", ip, host, pod.Spec.Subdomain, pod.Namespace, domain, host)
		} else {
			fmt.Fprintf(&b, "%s\t%s\n", ip, host)
		}
	}
	b.WriteString(hostAliases(pod))
	return b.String()
}

// hostAliases is the hosts-file section of spec.hostAliases ("" without).
func hostAliases(pod *corev1.Pod) string {
	if len(pod.Spec.HostAliases) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n# Entries added by HostAliases.\n")
	for _, h := range pod.Spec.HostAliases {
		fmt.Fprintf(&b, "%s\t%s\n", h.IP, strings.Join(h.Hostnames, "\t"))
	}
	return b.String()
}

// podHostname is the pod's hostname: spec.hostname, else its name, cut
// to 63 bytes (a DNS label) without a trailing '-' or '.'.
func podHostname(pod *corev1.Pod) string {
	h := pod.Name
	if pod.Spec.Hostname != "" {
		h = pod.Spec.Hostname
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}
