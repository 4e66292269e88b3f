package server

import (
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

// The API server's connections are capped so that clients can never take
// the descriptors the rest of the process needs: the embedded etcd opens
// files (its WAL, snapshots) and exits the whole process when it cannot.
// Idle connections are closed after idleTimeout (http.Server and the
// HTTP/2 server, as upstream's 90 s); the caps below bound how many there
// can be before that.

// fdReserve is how many descriptors the caps leave to everything but the
// API's clients: a quarter of the limit, at least 256.
func fdReserve(limit int) int { return max(256, limit/4) }

// ConnectionLimits returns the default caps on the API server's open
// connections, in total and from one client IP, for this process's
// descriptor limit (Go raises the soft limit to the hard one at start).
func ConnectionLimits() (total, perClient int) {
	var rl syscall.Rlimit
	limit := 1024
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur > 0 && rl.Cur < 1<<30 {
		limit = int(rl.Cur)
	}
	total = max(64, limit-fdReserve(limit))
	return total, max(16, total/4)
}

// limitListener refuses connections beyond total, or beyond perClient
// from one IP: accepted and closed at once, before TLS, so a refused
// client sees its connection end instead of hanging.
type limitListener struct {
	net.Listener
	total, perClient int
	log              *slog.Logger

	mu       sync.Mutex
	open     int
	byIP     map[string]int
	lastWarn time.Time
	refused  int
}

func newLimitListener(l net.Listener, total, perClient int, log *slog.Logger) *limitListener {
	return &limitListener{Listener: l, total: total, perClient: perClient, log: log, byIP: map[string]int{}}
}

// Accept returns the next connection within the caps.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if l.acquire(ip) {
			return &limitedConn{Conn: c, l: l, ip: ip}, nil
		}
		c.Close()
	}
}

func (l *limitListener) acquire(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open < l.total && l.byIP[ip] < l.perClient {
		l.open++
		l.byIP[ip]++
		return true
	}
	// One warning per 10 s at most, with the count refused since.
	l.refused++
	if now := time.Now(); now.Sub(l.lastWarn) > 10*time.Second {
		l.log.Warn("refusing API connections over the limit", "client", ip, "refused", l.refused,
			"open", l.open, "fromClient", l.byIP[ip], "maxConnections", l.total, "maxConnectionsPerClient", l.perClient)
		l.lastWarn, l.refused = now, 0
	}
	return false
}

func (l *limitListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}

// limitedConn gives its place back once, when closed.
type limitedConn struct {
	net.Conn
	l    *limitListener
	ip   string
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
