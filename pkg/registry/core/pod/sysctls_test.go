package pod_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestSysctlValidation: pod validation refuses malformed, duplicate and
// host-namespace sysctl names with upstream's messages, and leaves
// well-formed names (and every value) alone.
func TestSysctlValidation(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, pods := context.Background(), s.Client.CoreV1().Pods("default")
	newPod := func(name string, sysctls ...corev1.Sysctl) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{Sysctls: sysctls},
			Containers:      []corev1.Container{{Name: "c", Image: "busybox"}},
		}}
	}

	// The upstream spec's pod: two invalid names among valid ones.
	_, err := pods.Create(ctx, newPod("invalid",
		corev1.Sysctl{Name: "foo-", Value: "bar"}, corev1.Sysctl{Name: "kernel.shmmax", Value: "100000000"},
		corev1.Sysctl{Name: "safe-and-unsafe", Value: "100000000"}, corev1.Sysctl{Name: "bar..", Value: "42"}),
		metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("invalid sysctls: %v, want Invalid", err)
	}
	msg := err.Error()
	for _, want := range []string{`spec.securityContext.sysctls[0].name: Invalid value: "foo-"`, `spec.securityContext.sysctls[3].name: Invalid value: "bar.."`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	for _, not := range []string{"kernel.shmmax", "safe-and-unsafe"} {
		if strings.Contains(msg, not) {
			t.Errorf("error %q names the valid sysctl %s", msg, not)
		}
	}

	dup := newPod("dup", corev1.Sysctl{Name: "kernel.msgmax", Value: "1"}, corev1.Sysctl{Name: "kernel.msgmax", Value: "2"})
	if _, err := pods.Create(ctx, dup, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "Duplicate value") {
		t.Errorf("duplicate sysctl: %v", err)
	}
	hostNet := newPod("hostnet", corev1.Sysctl{Name: "net/ipv4/ip_forward", Value: "1"})
	hostNet.Spec.HostNetwork = true
	if _, err := pods.Create(ctx, hostNet, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "may not be specified when 'hostNetwork' is true") {
		t.Errorf("net sysctl with hostNetwork: %v", err)
	}
	hostIPC := newPod("hostipc", corev1.Sysctl{Name: "kernel.shm_rmid_forced", Value: "1"})
	hostIPC.Spec.HostIPC = true
	if _, err := pods.Create(ctx, hostIPC, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "may not be specified when 'hostIPC' is true") {
		t.Errorf("ipc sysctl with hostIPC: %v", err)
	}

	ok := newPod("valid", corev1.Sysctl{Name: "kernel.shm_rmid_forced", Value: "1"},
		corev1.Sysctl{Name: "net.ipv4.conf.eth0/100.forwarding", Value: "anything"}, corev1.Sysctl{Name: "net/ipv4/ip_local_port_range", Value: "1024 65535"})
	if _, err := pods.Create(ctx, ok, metav1.CreateOptions{}); err != nil {
		t.Errorf("valid sysctls: %v", err)
	}
}
