package etcd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// External is an etcd cluster run outside tinykube, named as
// kube-apiserver's flags name it: --etcd-servers, and for https servers
// --etcd-cafile (the CA that signed the members' serving certificates;
// empty: the system's CAs) and --etcd-certfile/--etcd-keyfile (the client
// certificate the members require when they run with
// --client-cert-auth).
type External struct {
	Servers                   []string
	CAFile, CertFile, KeyFile string
}

// usesTLS reports whether any server is https or unixs.
func (x External) usesTLS() bool {
	for _, s := range x.Servers {
		if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "unixs://") {
			return true
		}
	}
	return false
}

// Validate reports servers and TLS files that cannot work together,
// before anything is read or dialled.
func (x External) Validate() error {
	if len(x.Servers) == 0 {
		return errors.New("--etcd-servers: no servers")
	}
	for _, s := range x.Servers {
		u, err := url.Parse(s)
		if err != nil {
			return fmt.Errorf("--etcd-servers: %w", err)
		}
		switch u.Scheme {
		case "http", "https", "unix", "unixs":
		default:
			return fmt.Errorf("--etcd-servers: %q: scheme must be http, https, unix or unixs", s)
		}
	}
	if (x.CertFile == "") != (x.KeyFile == "") {
		return errors.New("--etcd-certfile and --etcd-keyfile go together: set both or neither")
	}
	if (x.CAFile != "" || x.CertFile != "") && !x.usesTLS() {
		return errors.New("--etcd-cafile, --etcd-certfile and --etcd-keyfile apply to https:// servers, and no --etcd-servers URL is https")
	}
	return nil
}

// TLSConfig loads the CA and client certificate; nil when no server
// uses TLS.
func (x External) TLSConfig() (*tls.Config, error) {
	if !x.usesTLS() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if x.CAFile != "" {
		pem, err := os.ReadFile(x.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--etcd-cafile: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--etcd-cafile %s: no PEM certificate in it", x.CAFile)
		}
	}
	if x.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(x.CertFile, x.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--etcd-certfile %s, --etcd-keyfile %s: %w", x.CertFile, x.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// NewExternalClient validates x, loads its TLS files and connects to the
// servers. Before returning it shakes hands with each https server, so a
// wrong CA or a missing or refused client certificate is an error that
// names the flag to fix, instead of requests that time out later. A
// server that does not answer is not an error here: the client keeps
// trying it, as NewClient's do.
func NewExternalClient(ctx context.Context, x External) (*clientv3.Client, error) {
	if err := x.Validate(); err != nil {
		return nil, err
	}
	tlsConfig, err := x.TLSConfig()
	if err != nil {
		return nil, err
	}
	for _, s := range x.Servers {
		if err := x.checkTLS(ctx, s, tlsConfig); err != nil {
			return nil, err
		}
	}
	return NewClient(x.Servers, tlsConfig)
}

// tlsCheckTimeout bounds checkTLS per server.
const tlsCheckTimeout = 5 * time.Second

// checkTLS asks an https server for /health (served on every etcd client
// port that also serves HTTP; a gRPC-only port closes the connection,
// which is fine too) and turns TLS failures into errors that say which
// flag is wrong. Under TLS 1.3 the server checks the client certificate
// only after the handshake, so an actual request is what reveals a
// refused one.
func (x External) checkTLS(ctx context.Context, server string, tlsConfig *tls.Config) error {
	if !strings.HasPrefix(server, "https://") {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, tlsCheckTimeout)
	defer cancel()
	tr := &http.Transport{TLSClientConfig: tlsConfig.Clone(), DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(server, "/")+"/health", nil)
	if err != nil {
		return fmt.Errorf("--etcd-servers: %w", err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		resp.Body.Close()
		return nil
	}
	var (
		unknownCA  x509.UnknownAuthorityError
		verify     *tls.CertificateVerificationError
		hostname   x509.HostnameError
		notTLS     tls.RecordHeaderError
		opErr      *net.OpError
		trustedCAs = "the system's CAs (set --etcd-cafile)"
	)
	if x.CAFile != "" {
		trustedCAs = "--etcd-cafile " + x.CAFile
	}
	switch {
	case errors.As(err, &hostname):
		return fmt.Errorf("etcd %s: its serving certificate is not valid for this address: %w", server, hostname)
	case errors.As(err, &unknownCA), errors.As(err, &verify):
		return fmt.Errorf("etcd %s: its serving certificate is not signed by a CA in %s: %w", server, trustedCAs, err)
	case errors.As(err, &notTLS), strings.Contains(err.Error(), "HTTP response to HTTPS client"): // net/http's words for a RecordHeaderError
		return fmt.Errorf("etcd %s does not speak TLS (an http:// server?): %w", server, err)
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// An alert from the server: it refused our certificate (or
		// its absence).
		if x.CertFile == "" {
			return fmt.Errorf("etcd %s refused the connection without a client certificate: set --etcd-certfile and --etcd-keyfile: %w", server, err)
		}
		return fmt.Errorf("etcd %s refused the client certificate --etcd-certfile %s (is it signed by the CA the server trusts?): %w", server, x.CertFile, err)
	}
	return nil // unreachable or not HTTP: for the client to retry
}
