package nodeproxy

import (
	"encoding/base64"
	"io"
	"net/http"
	"time"

	gwebsocket "github.com/gorilla/websocket"
)

// pods/log over WebSocket, as upstream's API server streams it to a
// client that asks for an upgrade: each chunk of the log is one message,
// binary with binary.k8s.io (or no protocol), base64 text with
// base64.binary.k8s.io; the end of the log closes the connection.
const (
	protocolBinary       = "binary.k8s.io"
	protocolBase64Binary = "base64.binary.k8s.io"
)

// streamLogWebSocket upgrades the request and copies body to the client
// until the body ends or the client goes away (which closes body).
func streamLogWebSocket(w http.ResponseWriter, r *http.Request, body io.ReadCloser) {
	upgrader := gwebsocket.Upgrader{
		Subprotocols: []string{protocolBinary, protocolBase64Binary},
		// Clients are authenticated by the API server, not by origin.
		CheckOrigin:      func(*http.Request) bool { return true },
		HandshakeTimeout: 10 * time.Second,
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer ws.Close()
	// The client sends nothing but control messages; reading them
	// answers pings and notices it going away, which ends a followed
	// log's read.
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				_ = body.Close()
				return
			}
		}
	}()
	b64 := ws.Subprotocol() == protocolBase64Binary
	buf := make([]byte, 32<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			kind, msg := gwebsocket.BinaryMessage, buf[:n]
			if b64 {
				kind, msg = gwebsocket.TextMessage, []byte(base64.StdEncoding.EncodeToString(buf[:n]))
			}
			_ = ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if err := ws.WriteMessage(kind, msg); err != nil {
				return
			}
		}
		if rerr != nil {
			break
		}
	}
	_ = ws.WriteControl(gwebsocket.CloseMessage, gwebsocket.FormatCloseMessage(gwebsocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
}
