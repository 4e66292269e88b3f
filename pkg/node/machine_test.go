package node

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestReadMachineReservesFromAllocatable(t *testing.T) {
	m, err := readMachine(t.TempDir(), 42, corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("1Ei"),
	})
	if err != nil {
		t.Fatal(err)
	}
	cpu, mem := m.capacity[corev1.ResourceCPU], m.allocatable[corev1.ResourceCPU]
	cpu.Sub(resource.MustParse("100m"))
	if cpu.Cmp(mem) != 0 {
		t.Errorf("allocatable cpu %s, capacity %s minus 100m", m.allocatable.Cpu(), m.capacity.Cpu())
	}
	if !m.allocatable.Memory().IsZero() {
		t.Errorf("allocatable memory %s, want 0 (more reserved than there is)", m.allocatable.Memory())
	}
	if m.capacity.Pods().Value() != 42 || m.capacity.Memory().IsZero() || m.capacity.StorageEphemeral().IsZero() {
		t.Errorf("capacity %v", m.capacity)
	}
	if m.info.KernelVersion == "" || m.info.OSImage == "" || m.info.Architecture == "" {
		t.Errorf("info %+v", m.info)
	}
}
