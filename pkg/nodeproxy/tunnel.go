package nodeproxy

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	gwebsocket "github.com/gorilla/websocket"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/portforward"
)

// The WebSocket subprotocol of port-forward tunneling: the messages
// carry a SPDY session.
const protocolTunnel = "SPDY/3.1+portforward.k8s.io"

func apiBadRequest(msg string) error { return apierrors.NewBadRequest(msg) }

// tunnel serves a WebSocket port-forward: it upgrades the kubelet's
// /portForward to SPDY first (so that a failure is still an HTTP error
// the client falls back from), then relays the bytes of the SPDY
// session between the WebSocket's binary messages and the kubelet.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, target *url.URL) error {
	if !offers(r, protocolTunnel) {
		return apiBadRequest("WebSocket port-forward needs the " + protocolTunnel + " protocol")
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, target.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	req.Header.Set("X-Stream-Protocol-Version", "portforward.k8s.io")
	resp, err := p.kubelet.RoundTrip(req)
	if err != nil {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("error reaching the kubelet: %v", err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return backendError(resp, podsResource, target.Path)
	}
	backend, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		return fmt.Errorf("kubelet upgrade gave no connection")
	}
	defer backend.Close()
	upgrader := gwebsocket.Upgrader{Subprotocols: []string{protocolTunnel}, CheckOrigin: func(*http.Request) bool { return true },
		HandshakeTimeout: 10 * time.Second}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	conn := portforward.NewTunnelingConnection("server", ws)
	defer conn.Close()
	var once sync.Once
	done := make(chan struct{})
	stop := func() { once.Do(func() { close(done) }) }
	go func() {
		_, _ = io.Copy(backend, conn)
		stop()
	}()
	go func() {
		_, _ = io.Copy(conn, backend)
		stop()
	}()
	<-done
	return nil
}
