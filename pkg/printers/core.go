package printers

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Printers for the core ("") group, except pods (pods.go) and events
// (events.go). LimitRanges have no printer upstream: they get the default
// Name/Created At table.

func addCoreHandlers(g *Generator) {
	register(g, printerFor[*corev1.PodTemplate]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Containers", "string", "Names of each container in the template."),
			col("Images", "string", "Images referenced by each container in the template."),
			col("Pod Labels", "string", "The labels for the pod template."),
		},
		cells: func(t *corev1.PodTemplate, _ *printContext) ([]interface{}, error) {
			names, images := containerCells(t.Template.Spec.Containers)
			return []interface{}{t.Name, names, images, labels.FormatLabels(t.Template.Labels)}, nil
		},
	})

	register(g, printerFor[*corev1.ReplicationController]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Desired", "integer", corev1.ReplicationControllerSpec{}.SwaggerDoc()["replicas"]),
			col("Current", "integer", corev1.ReplicationControllerStatus{}.SwaggerDoc()["replicas"]),
			col("Ready", "integer", corev1.ReplicationControllerStatus{}.SwaggerDoc()["readyReplicas"]),
			ageColumn(),
			containersColumn(),
			imagesColumn(),
			wide("Selector", "string", corev1.ReplicationControllerSpec{}.SwaggerDoc()["selector"]),
		},
		cells: func(rc *corev1.ReplicationController, pc *printContext) ([]interface{}, error) {
			var containers []corev1.Container
			if rc.Spec.Template != nil {
				containers = rc.Spec.Template.Spec.Containers
			}
			names, images := containerCells(containers)
			return []interface{}{rc.Name, int64(deref(rc.Spec.Replicas)), int64(rc.Status.Replicas),
				int64(rc.Status.ReadyReplicas), since(pc, rc.CreationTimestamp),
				names, images, labels.FormatLabels(rc.Spec.Selector)}, nil
		},
	})

	serviceSpecDoc := corev1.ServiceSpec{}.SwaggerDoc()
	register(g, printerFor[*corev1.Service]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Type", "string", serviceSpecDoc["type"]),
			col("Cluster-IP", "string", serviceSpecDoc["clusterIP"]),
			col("External-IP", "string", serviceSpecDoc["externalIPs"]),
			col("Port(s)", "string", serviceSpecDoc["ports"]),
			ageColumn(),
			wide("Selector", "string", serviceSpecDoc["selector"]),
		},
		cells: func(svc *corev1.Service, pc *printContext) ([]interface{}, error) {
			clusterIP := "<none>"
			if len(svc.Spec.ClusterIPs) > 0 {
				clusterIP = svc.Spec.ClusterIPs[0]
			}
			return []interface{}{svc.Name, string(svc.Spec.Type), clusterIP, serviceExternalIP(svc),
				orNone(servicePorts(svc.Spec.Ports)), since(pc, svc.CreationTimestamp),
				labels.FormatLabels(svc.Spec.Selector)}, nil
		},
	})

	register(g, printerFor[*corev1.Endpoints]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Endpoints", "string", corev1.Endpoints{}.SwaggerDoc()["subsets"]),
			ageColumn(),
		},
		cells: func(ep *corev1.Endpoints, pc *printContext) ([]interface{}, error) {
			return []interface{}{ep.Name, formatEndpoints(ep), since(pc, ep.CreationTimestamp)}, nil
		},
	})

	nodeInfoDoc := corev1.NodeSystemInfo{}.SwaggerDoc()
	register(g, printerFor[*corev1.Node]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Status", "string", "The status of the node"),
			col("Roles", "string", "The roles of the node"),
			ageColumn(),
			col("Version", "string", nodeInfoDoc["kubeletVersion"]),
			wide("Internal-IP", "string", corev1.NodeStatus{}.SwaggerDoc()["addresses"]),
			wide("External-IP", "string", corev1.NodeStatus{}.SwaggerDoc()["addresses"]),
			wide("OS-Image", "string", nodeInfoDoc["osImage"]),
			wide("Kernel-Version", "string", nodeInfoDoc["kernelVersion"]),
			wide("Container-Runtime", "string", nodeInfoDoc["containerRuntimeVersion"]),
		},
		cells: nodeCells,
	})

	register(g, printerFor[*corev1.Namespace]{
		columns: []metav1.TableColumnDefinition{nameColumn(), col("Status", "string", "The status of the namespace"), ageColumn()},
		cells: func(ns *corev1.Namespace, pc *printContext) ([]interface{}, error) {
			return []interface{}{ns.Name, string(ns.Status.Phase), since(pc, ns.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*corev1.ResourceQuota]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
			col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
			ageColumn(),
		},
		cells: func(q *corev1.ResourceQuota, pc *printContext) ([]interface{}, error) {
			requests, limits := quotaUsage(q)
			return []interface{}{q.Name, requests, limits, since(pc, q.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*corev1.Secret]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Type", "string", corev1.Secret{}.SwaggerDoc()["type"]),
			col("Data", "string", corev1.Secret{}.SwaggerDoc()["data"]),
			ageColumn(),
		},
		cells: func(s *corev1.Secret, pc *printContext) ([]interface{}, error) {
			return []interface{}{s.Name, string(s.Type), int64(len(s.Data)), since(pc, s.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*corev1.ServiceAccount]{
		columns: []metav1.TableColumnDefinition{nameColumn(), ageColumn()},
		cells: func(sa *corev1.ServiceAccount, pc *printContext) ([]interface{}, error) {
			return []interface{}{sa.Name, since(pc, sa.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*corev1.ConfigMap]{
		columns: []metav1.TableColumnDefinition{nameColumn(), col("Data", "string", corev1.ConfigMap{}.SwaggerDoc()["data"]), ageColumn()},
		cells: func(cm *corev1.ConfigMap, pc *printContext) ([]interface{}, error) {
			return []interface{}{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), since(pc, cm.CreationTimestamp)}, nil
		},
	})

	addVolumeHandlers(g)
}

// serviceExternalIP is the External-IP cell: external IPs for ClusterIP and
// NodePort services, load-balancer ingress (or <pending>) for LoadBalancer,
// the external name for ExternalName.
func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		return orNone(strings.Join(svc.Spec.ExternalIPs, ","))
	case corev1.ServiceTypeLoadBalancer:
		ips := loadBalancerIngress(svc.Status.LoadBalancer)
		ips = append(ips, svc.Spec.ExternalIPs...)
		if len(ips) == 0 {
			return "<pending>"
		}
		return strings.Join(ips, ",")
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return "<unknown>"
}

// loadBalancerIngress lists the distinct ingress IPs (or hostnames), sorted.
// The server prints wide, so the list is never clipped.
func loadBalancerIngress(lb corev1.LoadBalancerStatus) []string {
	seen := map[string]bool{}
	var out []string
	for _, in := range lb.Ingress {
		v := in.IP
		if v == "" {
			v = in.Hostname
		}
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// servicePorts renders ports as "80/TCP" or, with a node port, "80:30080/TCP".
func servicePorts(ports []corev1.ServicePort) string {
	pieces := make([]string, len(ports))
	for i, p := range ports {
		if p.NodePort > 0 {
			pieces[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
		} else {
			pieces[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		}
	}
	return strings.Join(pieces, ",")
}

// maxListed is how many endpoints a cell lists before "+ N more...".
const maxListed = 3

// formatEndpoints lists up to three ip:port pairs (bare IPs for subsets
// without ports), "<none>" when there are no subsets.
func formatEndpoints(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return "<none>"
	}
	var list []string
	count := 0
	add := func(s string) {
		count++
		if len(list) < maxListed {
			list = append(list, s)
		}
	}
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	out := strings.Join(list, ",")
	if count > maxListed {
		out += fmt.Sprintf(" + %d more...", count-maxListed)
	}
	return out
}

// Node role labels: node-role.kubernetes.io/<role> (any value) and the
// older kubernetes.io/role=<role>.
const (
	nodeRoleLabelPrefix = "node-role.kubernetes.io/"
	nodeRoleLabel       = "kubernetes.io/role"
)

func nodeCells(n *corev1.Node, pc *printContext) ([]interface{}, error) {
	var status []string
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			status = []string{"Ready"}
		} else {
			status = []string{"NotReady"}
		}
	}
	if len(status) == 0 {
		status = []string{"Unknown"}
	}
	if n.Spec.Unschedulable {
		status = append(status, "SchedulingDisabled")
	}

	info := n.Status.NodeInfo
	kernel := info.KernelVersion
	if kernel == "" {
		kernel = "<unknown>"
	}
	if info.Architecture != "" {
		kernel += " (" + info.Architecture + ")"
	}
	return []interface{}{
		n.Name,
		strings.Join(status, ","),
		orNone(strings.Join(nodeRoles(n), ",")),
		since(pc, n.CreationTimestamp),
		info.KubeletVersion,
		nodeAddress(n, corev1.NodeInternalIP),
		nodeAddress(n, corev1.NodeExternalIP),
		orUnknown(info.OSImage),
		kernel,
		orUnknown(info.ContainerRuntimeVersion),
	}, nil
}

// nodeRoles returns the node's roles from its labels, sorted and distinct.
func nodeRoles(n *corev1.Node) []string {
	set := map[string]bool{}
	for k, v := range n.Labels {
		switch {
		case strings.HasPrefix(k, nodeRoleLabelPrefix):
			if role := strings.TrimPrefix(k, nodeRoleLabelPrefix); role != "" {
				set[role] = true
			}
		case k == nodeRoleLabel && v != "":
			set[v] = true
		}
	}
	roles := make([]string, 0, len(set))
	for r := range set {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	return roles
}

// nodeAddress returns the node's first address of type t, or "<none>".
func nodeAddress(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return "<none>"
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

// quotaUsage renders "resource: used/hard" pairs sorted by resource name;
// resources named limits.* go to the Limit column, the rest to Request.
func quotaUsage(q *corev1.ResourceQuota) (requests, limits string) {
	names := make([]string, 0, len(q.Status.Hard))
	for name := range q.Status.Hard {
		names = append(names, string(name))
	}
	sort.Strings(names)
	var req, lim []string
	for _, name := range names {
		used := q.Status.Used[corev1.ResourceName(name)]
		hard := q.Status.Hard[corev1.ResourceName(name)]
		entry := fmt.Sprintf("%s: %s/%s", name, used.String(), hard.String())
		if strings.HasPrefix(name, "limits.") {
			lim = append(lim, entry)
		} else {
			req = append(req, entry)
		}
	}
	return strings.Join(req, ", "), strings.Join(lim, ", ")
}
