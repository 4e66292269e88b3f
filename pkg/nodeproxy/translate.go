package nodeproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	gwebsocket "github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	spdystream "k8s.io/apimachinery/pkg/util/httpstream/spdy"
	"k8s.io/client-go/tools/remotecommand"
)

// The channel protocols of exec and attach over WebSocket: each binary
// message starts with its channel's byte. v5 adds the close message
// (channel 255, then the closed channel), with which a client ends its
// stdin. The first one, channel.k8s.io, writes the error's text on the
// error channel (v4 and v5: a Status) and nothing on success.
const (
	protocolV5 = "v5.channel.k8s.io"
	protocolV4 = "v4.channel.k8s.io"
	protocolV1 = "channel.k8s.io"

	chanStdin  = 0
	chanStdout = 1
	chanStderr = 2
	chanError  = 3
	chanResize = 4
	chanClose  = 255
)

// translate serves a WebSocket exec or attach by running it over SPDY
// against the kubelet at target: the client's channels become the
// streams of a SPDY remote command, as upstream's stream translator.
func (p *Proxy) translate(w http.ResponseWriter, r *http.Request, target *url.URL, streams streamFlags) error {
	upgrader := gwebsocket.Upgrader{
		Subprotocols: []string{protocolV5, protocolV4, protocolV1},
		// Clients are authenticated by the API server, not by origin.
		CheckOrigin:      func(*http.Request) bool { return true },
		HandshakeTimeout: 10 * time.Second,
	}
	if gwebsocket.Subprotocols(r) == nil || !offers(r, protocolV5, protocolV4, protocolV1) {
		// A plain 400: the client sees the upgrade fail and falls back
		// to SPDY.
		return apiBadRequest("WebSocket exec and attach need the v5.channel.k8s.io, v4.channel.k8s.io or channel.k8s.io protocol")
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	defer ws.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	out := &wsWriter{conn: ws, v1: ws.Subprotocol() == protocolV1}

	rt, err := spdystream.NewRoundTripperWithConfig(spdystream.RoundTripperConfig{TLS: p.kubeletTLS.Clone(), PingPeriod: 5 * time.Second})
	if err != nil {
		out.finish(err)
		return nil
	}
	exec, err := remotecommand.NewSPDYExecutorForTransports(rt, rt, http.MethodPost, target)
	if err != nil {
		out.finish(err)
		return nil
	}

	var stdinR *io.PipeReader
	var stdinW *io.PipeWriter
	if streams.stdin {
		stdinR, stdinW = io.Pipe()
		// A command that never read all of its stdin must not leave
		// the reader below blocked on the pipe.
		defer stdinR.Close()
	}
	sizes := &sizeQueue{ch: make(chan remotecommand.TerminalSize, 4), done: ctx.Done()}
	// Read the client's messages until it closes: stdin, resizes, and
	// the end of stdin.
	go func() {
		defer cancel()
		if stdinW != nil {
			defer stdinW.Close()
		}
		v5 := ws.Subprotocol() == protocolV5
		for {
			kind, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if kind != gwebsocket.BinaryMessage || len(msg) == 0 {
				continue
			}
			switch msg[0] {
			case chanStdin:
				if stdinW != nil {
					if _, err := stdinW.Write(msg[1:]); err != nil {
						stdinW = nil
					}
				}
			case chanResize:
				var size remotecommand.TerminalSize
				if json.Unmarshal(msg[1:], &size) == nil {
					select {
					case sizes.ch <- size:
					default: // the runtime is behind: drop, a newer size follows
					}
				}
			case chanClose:
				if v5 && len(msg) > 1 && msg[1] == chanStdin && stdinW != nil {
					stdinW.Close()
					stdinW = nil
				}
			}
		}
	}()

	opts := remotecommand.StreamOptions{Tty: streams.tty}
	if stdinR != nil {
		opts.Stdin = stdinR
	}
	if streams.stdout {
		opts.Stdout = out.channel(chanStdout)
	}
	if streams.stderr {
		opts.Stderr = out.channel(chanStderr)
	}
	if streams.tty {
		opts.TerminalSizeQueue = sizes
	}
	err = exec.StreamWithContext(ctx, opts)
	out.finish(err)
	return nil
}

// offers reports whether the client offered one of the protocols.
func offers(r *http.Request, protocols ...string) bool {
	for _, got := range gwebsocket.Subprotocols(r) {
		for _, want := range protocols {
			if got == want {
				return true
			}
		}
	}
	return false
}

// wsWriter writes channel messages to the client, one writer at a time
// (a WebSocket connection allows one).
type wsWriter struct {
	mu   sync.Mutex
	conn *gwebsocket.Conn
	// v1: the channel.k8s.io protocol's error channel (text, not a
	// Status).
	v1 bool
}

func (w *wsWriter) write(ch byte, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	msg := make([]byte, 1+len(p))
	msg[0] = ch
	copy(msg[1:], p)
	_ = w.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	return w.conn.WriteMessage(gwebsocket.BinaryMessage, msg)
}

func (w *wsWriter) channel(ch byte) io.Writer { return channelWriter{w: w, ch: ch} }

type channelWriter struct {
	w  *wsWriter
	ch byte
}

func (c channelWriter) Write(p []byte) (int, error) {
	if err := c.w.write(c.ch, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// finish writes the command's outcome on the error channel as a Status
// (Success, NonZeroExitCode with the code, or the error; v1: the error's
// text, if any) and closes.
func (w *wsWriter) finish(err error) {
	if w.v1 {
		if err != nil {
			_ = w.write(chanError, []byte(err.Error()))
		}
		w.close()
		return
	}
	st := metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess}
	var exit interface{ ExitStatus() int }
	switch {
	case err == nil:
	case errors.As(err, &exit):
		st.Status, st.Reason = metav1.StatusFailure, "NonZeroExitCode"
		st.Message = fmt.Sprintf("command terminated with non-zero exit code: %v", err)
		st.Details = &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(exit.ExitStatus())}}}
	default:
		st.Status, st.Reason, st.Message = metav1.StatusFailure, metav1.StatusReasonInternalError, err.Error()
	}
	b, _ := json.Marshal(&st)
	_ = w.write(chanError, b)
	w.close()
}

// close sends the normal close message.
func (w *wsWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.conn.WriteControl(gwebsocket.CloseMessage, gwebsocket.FormatCloseMessage(gwebsocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
}

// sizeQueue hands terminal resizes to the SPDY side.
type sizeQueue struct {
	ch   chan remotecommand.TerminalSize
	done <-chan struct{}
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	select {
	case s := <-q.ch:
		return &s
	case <-q.done:
		return nil
	}
}
