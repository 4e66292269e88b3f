package integration

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestHTTP2ManyWatches checks the HTTP/2 serving (pkg/server/http2.go):
// client-go negotiates HTTP/2, an HTTP/1.1 client still works, and 300
// watches — more than one connection's 250 streams — each get every event
// in order.
func TestHTTP2ManyWatches(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, proto := range []string{"h2", "http/1.1"} {
		cfg := rest.CopyConfig(s.RESTConfig)
		cfg.NextProtos = []string{proto}
		rt, err := rest.TransportFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", cfg.Host+"/api/v1/namespaces/default", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		resp.Body.Close()
		if want := map[string]int{"h2": 2, "http/1.1": 1}[proto]; resp.StatusCode != 200 || resp.ProtoMajor != want {
			t.Fatalf("%s: status %d over HTTP/%d, want 200 over HTTP/%d", proto, resp.StatusCode, resp.ProtoMajor, want)
		}
	}

	cms := s.Client.CoreV1().ConfigMaps("default")
	const watchers, events = 300, 20
	ws := make([]watch.Interface, watchers)
	for i := range ws {
		w, err := cms.Watch(ctx, metav1.ListOptions{LabelSelector: "http2=test"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		ws[i] = w
	}
	var wg sync.WaitGroup
	errs := make(chan error, watchers)
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < events; n++ {
				select {
				case ev := <-w.ResultChan():
					cm, ok := ev.Object.(*corev1.ConfigMap)
					if !ok || ev.Type != watch.Added || cm.Name != fmt.Sprintf("cm-%02d", n) {
						errs <- fmt.Errorf("watcher %d event %d: %s %T %v", i, n, ev.Type, ev.Object, ev.Object)
						return
					}
				case <-ctx.Done():
					errs <- fmt.Errorf("watcher %d: only %d of %d events", i, n, events)
					return
				}
			}
		}()
	}
	for n := 0; n < events; n++ {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%02d", n), Labels: map[string]string{"http2": "test"}}}
		if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
