package cni

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
)

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	n.IP = n.IP.To4()
	return n
}

func TestStoreAllocateSkipsReservedAndExhausts(t *testing.T) {
	dir := t.TempDir()
	podNet := mustCIDR(t, "10.244.9.0/29") // .0 network, .1 gateway, .7 broadcast
	got := map[string]bool{}
	for i := 0; i < 5; i++ {
		st, err := openStore(dir, "n")
		if err != nil {
			t.Fatal(err)
		}
		ip, err := st.allocate(podNet, fmt.Sprintf("c%d", i), "eth0")
		st.Close()
		if err != nil {
			t.Fatalf("allocate %d: %v", i, err)
		}
		got[ip.String()] = true
	}
	for _, want := range []string{"10.244.9.2", "10.244.9.3", "10.244.9.4", "10.244.9.5", "10.244.9.6"} {
		if !got[want] {
			t.Errorf("%s not allocated; got %v", want, got)
		}
	}
	st, err := openStore(dir, "n")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.allocate(podNet, "c9", "eth0"); !errors.Is(err, errExhausted) {
		t.Fatalf("6th allocation: %v, want errExhausted", err)
	}
	// The same attachment gets its address back; a release frees one.
	ip, err := st.allocate(podNet, "c3", "eth0")
	if err != nil || ip.String() != "10.244.9.5" {
		t.Fatalf("repeat allocate c3 = %v, %v; want 10.244.9.5", ip, err)
	}
	if err := st.release("c3", "eth0"); err != nil {
		t.Fatal(err)
	}
	if err := st.release("c3", "eth0"); err != nil {
		t.Fatalf("second release: %v", err)
	}
	ip, err = st.allocate(podNet, "c9", "eth0")
	if err != nil || ip.String() != "10.244.9.5" {
		t.Fatalf("allocate after release = %v, %v; want 10.244.9.5", ip, err)
	}
}

func TestStoreConcurrentAllocationsAreDistinct(t *testing.T) {
	dir := t.TempDir()
	podNet := mustCIDR(t, "10.244.10.0/24")
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := openStore(dir, "n")
			if err != nil {
				t.Error(err)
				return
			}
			defer st.Close()
			id := fmt.Sprintf("c%d", i)
			ip, err := st.allocate(podNet, id, "eth0")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if other, dup := seen[ip.String()]; dup {
				t.Errorf("%s given to %s and %s", ip, other, id)
			}
			seen[ip.String()] = id
		}()
	}
	wg.Wait()
	// A new store on the same directory (a restart) sees every allocation.
	st, err := openStore(dir, "n")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := len(st.allocations()); n != 50 {
		t.Fatalf("%d allocations on disk, want 50", n)
	}
}
