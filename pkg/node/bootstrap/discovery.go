package bootstrap

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
)

// ClusterInfoPath is the kube-public/cluster-info ConfigMap; its
// "kubeconfig" key names the cluster's server and CA.
const (
	ClusterInfoPath = "/api/v1/namespaces/kube-public/configmaps/cluster-info"
	ClusterInfoKey  = "kubeconfig"
)

// ErrCAHashMismatch is returned when no CA in cluster-info matches the
// hashes given: the server is not the cluster the admin meant, or the
// hash is wrong.
var ErrCAHashMismatch = errors.New("the cluster CA does not match --ca-cert-hash")

// CAHash is kubeadm's public-key pin of a CA: "sha256:" and the hex
// SHA-256 of its DER SubjectPublicKeyInfo.
func CAHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// parseHash checks a --ca-cert-hash and lowercases it.
func parseHash(h string) (string, error) {
	alg, sum, ok := strings.Cut(strings.TrimSpace(h), ":")
	if !ok || !strings.EqualFold(alg, "sha256") {
		return "", fmt.Errorf("--ca-cert-hash %q: want sha256:<64 hex digits>", h)
	}
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("--ca-cert-hash %q: want sha256:<64 hex digits>", h)
	}
	return "sha256:" + strings.ToLower(sum), nil
}

// Discover reads cluster-info from serverURL and returns the cluster CA
// (PEM) once
//
//   - a certificate in it matches one of hashes (else ErrCAHashMismatch at
//     once),
//   - the server proves to hold that CA's certificate for serverURL (a
//     second read trusting only that CA), and
//   - it carries the bootstrapsigner's signature for token, which shows
//     the server knows the token (a wrong signature is ErrTokenRefused at
//     once; a missing one is waited for, unless the server, asked over
//     the verified connection, refuses the token: ErrTokenRefused).
//
// Nothing secret is sent before the CA is verified. It retries a server
// it cannot reach until ctx ends; retries are logged to logger (nil:
// slog.Default()) every few attempts.
func Discover(ctx context.Context, serverURL, token string, hashes []string, logger *slog.Logger) ([]byte, error) {
	if len(hashes) == 0 {
		return nil, errors.New("--ca-cert-hash is required to trust the server (upstream's --discovery-token-unsafe-skip-ca-verification is not offered)")
	}
	id, secret, err := bootstraptoken.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("--token: %w", err)
	}
	var want []string
	for _, h := range hashes {
		p, err := parseHash(h)
		if err != nil {
			return nil, err
		}
		want = append(want, p)
	}
	insecure := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // checked by hash below
	var info map[string]string
	err = retry(ctx, logger, func() error {
		var err error
		info, err = fetchClusterInfo(ctx, serverURL, insecure)
		return err
	})
	if err != nil {
		return nil, err
	}
	caPEM, err := caFromClusterInfo(info[ClusterInfoKey])
	if err != nil {
		return nil, err
	}
	if !matches(caPEM, want) {
		return nil, fmt.Errorf("%w: cluster-info at %s has a CA with hash %s", ErrCAHashMismatch, serverURL, hashesOf(caPEM))
	}
	// From here on, trust only that CA: the server must hold a
	// certificate the CA issued for the address we reach it at.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	verified := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	err = retry(ctx, logger, func() error {
		again, err := fetchClusterInfo(ctx, serverURL, verified)
		if err != nil {
			return err
		}
		if ca, err := caFromClusterInfo(again[ClusterInfoKey]); err != nil || string(ca) != string(caPEM) {
			return errPermanent{errors.New("cluster-info changed between the unverified and the verified read")}
		}
		sig, ok := again[bootstraptoken.JWSKeyPrefix+id]
		if ok && bootstraptoken.SignatureValid(sig, again[ClusterInfoKey], id, secret) {
			return nil
		}
		if ok {
			return errPermanent{fmt.Errorf("%w: cluster-info's signature for token id %s does not match the token's secret", ErrTokenRefused, id)}
		}
		if err := probeToken(ctx, serverURL, token, verified); err != nil {
			return err
		}
		return fmt.Errorf("cluster-info has no signature for token id %s yet (is the bootstrapsigner controller running?)", id)
	})
	if err != nil {
		return nil, err
	}
	return caPEM, nil
}

// probeToken asks the server (over the verified connection) whether it
// accepts token: a 401 is ErrTokenRefused, for good.
func probeToken(ctx context.Context, serverURL, token string, tlsConfig *tls.Config) error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(serverURL, "/")+"/api", nil)
	if err != nil {
		return errPermanent{err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return errPermanent{ErrTokenRefused}
	}
	return nil
}

// errPermanent marks an error retrying cannot fix.
type errPermanent struct{ error }

func (e errPermanent) Unwrap() error { return e.error }

// retry calls f every second until it succeeds, fails permanently or
// ctx ends (then the last error is returned); every tenth failure is
// logged, so that a wait is never silent.
func retry(ctx context.Context, logger *slog.Logger, f func() error) error {
	if logger == nil {
		logger = slog.Default()
	}
	for attempt := 1; ; attempt++ {
		err := f()
		var perm errPermanent
		if err == nil || errors.As(err, &perm) {
			return err
		}
		if attempt%10 == 0 {
			logger.InfoContext(ctx, "node: still trying", "attempts", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %v)", err, context.Cause(ctx))
		case <-time.After(time.Second):
		}
	}
}

func fetchClusterInfo(ctx context.Context, serverURL string, tlsConfig *tls.Config) (map[string]string, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(serverURL, "/")+ClusterInfoPath, nil)
	if err != nil {
		return nil, errPermanent{fmt.Errorf("--server %q: %w", serverURL, err)}
	}
	resp, err := client.Do(req)
	if err != nil {
		var unknownCA x509.UnknownAuthorityError
		var hostname x509.HostnameError
		if errors.As(err, &unknownCA) || errors.As(err, &hostname) {
			return nil, errPermanent{fmt.Errorf("the server's certificate is not valid for %s with the cluster CA: %w", serverURL, err)}
		}
		return nil, fmt.Errorf("reaching %s: %w", serverURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("GET %s%s: %s", serverURL, ClusterInfoPath, resp.Status)
		if resp.StatusCode < 500 {
			return nil, errPermanent{err}
		}
		return nil, err
	}
	var cm corev1.ConfigMap
	if err := json.Unmarshal(body, &cm); err != nil {
		return nil, errPermanent{fmt.Errorf("cluster-info: %w", err)}
	}
	if _, ok := cm.Data[ClusterInfoKey]; !ok {
		return nil, errPermanent{fmt.Errorf("cluster-info has no %q key", ClusterInfoKey)}
	}
	return cm.Data, nil
}

func caFromClusterInfo(kubeconfig string) ([]byte, error) {
	kc, err := clientcmd.Load([]byte(kubeconfig))
	if err != nil {
		return nil, fmt.Errorf("cluster-info kubeconfig: %w", err)
	}
	if len(kc.Clusters) != 1 {
		return nil, fmt.Errorf("cluster-info kubeconfig names %d clusters, want 1", len(kc.Clusters))
	}
	for _, c := range kc.Clusters {
		if len(c.CertificateAuthorityData) == 0 {
			return nil, errors.New("cluster-info kubeconfig has no certificate-authority-data")
		}
		return c.CertificateAuthorityData, nil
	}
	return nil, nil
}

func certs(caPEM []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for rest := caPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil && b.Type == "CERTIFICATE" {
			out = append(out, c)
		}
	}
}

func matches(caPEM []byte, want []string) bool {
	for _, c := range certs(caPEM) {
		for _, w := range want {
			if CAHash(c) == w {
				return true
			}
		}
	}
	return false
}

func hashesOf(caPEM []byte) string {
	var hs []string
	for _, c := range certs(caPEM) {
		hs = append(hs, CAHash(c))
	}
	return strings.Join(hs, ", ")
}
