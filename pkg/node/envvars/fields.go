package envvars

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// FieldValue is the value of a downward API fieldRef path of pod:
// metadata.name, .namespace, .uid, .labels, .annotations (whole maps as
// key="value" lines, or one key as metadata.labels['k']), spec.nodeName,
// spec.serviceAccountName, status.hostIP(s) and status.podIP(s). The IPs
// come from the arguments, not the pod's status, because the node knows
// them before it reports them.
func FieldValue(pod *corev1.Pod, path string, podIPs, hostIPs []string) (string, error) {
	if base, key, ok := subscript(path); ok {
		switch base {
		case "metadata.labels":
			if errs := validation.IsQualifiedName(key); len(errs) > 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", path, strings.Join(errs, ";"))
			}
			return pod.Labels[key], nil
		case "metadata.annotations":
			if errs := validation.IsQualifiedName(strings.ToLower(key)); len(errs) > 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", path, strings.Join(errs, ";"))
			}
			return pod.Annotations[key], nil
		}
		return "", fmt.Errorf("fieldPath %q does not support subscript", path)
	}
	first := func(ips []string) string {
		if len(ips) == 0 {
			return ""
		}
		return ips[0]
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP":
		return first(hostIPs), nil
	case "status.hostIPs":
		return strings.Join(hostIPs, ","), nil
	case "status.podIP":
		return first(podIPs), nil
	case "status.podIPs":
		return strings.Join(podIPs, ","), nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %v", path)
}

// subscript splits "metadata.labels['k']" into its path and key.
func subscript(path string) (base, key string, ok bool) {
	if !strings.HasSuffix(path, "']") {
		return "", "", false
	}
	open := strings.Index(path, "['")
	if open < 0 {
		return "", "", false
	}
	return path[:open], path[open+2 : len(path)-2], true
}

// formatMap writes m as sorted key="value" lines (Go-quoted values), the
// downward API's format for labels and annotations.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + "=" + strconv.Quote(m[k]))
	}
	return b.String()
}

// ResourceValue is the value of a resourceFieldRef of a container of pod:
// limits.* / requests.* of cpu, memory, ephemeral-storage and hugepages-*,
// divided by the divisor (default 1) and rounded up. The container is
// sel.ContainerName, or c when that is empty. An unset limit is the node's
// allocatable (from allocatable), as the kubelet reports it.
func ResourceValue(sel *corev1.ResourceFieldSelector, pod *corev1.Pod, c *corev1.Container, allocatable corev1.ResourceList) (string, error) {
	if sel.ContainerName != "" {
		c = findContainer(pod, sel.ContainerName)
		if c == nil {
			return "", fmt.Errorf("container %s not found", sel.ContainerName)
		}
	}
	if c == nil {
		return "", fmt.Errorf("resourceFieldRef %s names no container", sel.Resource)
	}
	kind, name, ok := strings.Cut(sel.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported container resource : %v", sel.Resource)
	}
	var q resource.Quantity
	switch kind {
	case "limits":
		v, set := c.Resources.Limits[corev1.ResourceName(name)]
		if !set {
			v = allocatable[corev1.ResourceName(name)]
		}
		q = v
	case "requests":
		q = c.Resources.Requests[corev1.ResourceName(name)]
	}
	divisor := sel.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	switch {
	case name == string(corev1.ResourceCPU):
		if divisor.MilliValue() == 0 {
			return "", fmt.Errorf("invalid divisor %s", divisor.String())
		}
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10), nil
	case name == string(corev1.ResourceMemory), name == string(corev1.ResourceEphemeralStorage),
		strings.HasPrefix(name, corev1.ResourceHugePagesPrefix):
		if divisor.Value() == 0 {
			return "", fmt.Errorf("invalid divisor %s", divisor.String())
		}
		return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
	}
	return "", fmt.Errorf("unsupported container resource : %v", sel.Resource)
}

func findContainer(pod *corev1.Pod, name string) *corev1.Container {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}
