package bootstrap_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
	"github.com/tinykube/tinykube/pkg/controller/certificates/approver"
	"github.com/tinykube/tinykube/pkg/controllermanager"
	"github.com/tinykube/tinykube/pkg/node/bootstrap"
)

// startCluster starts a server with the CSR controllers and a bootstrap
// token valid for ttl; it returns the server and the token.
func startCluster(t *testing.T, ttl time.Duration) (*testserver.Server, string) {
	t.Helper()
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect = s.RESTConfig, false
	cfg.Controllers = []string{"csrapproving", "csrsigning", "bootstrapsigner"}
	cfg.ClusterSigningCA = s.PKI.CA()
	go func() { defer close(done); _ = controllermanager.Run(ctx, cfg) }()
	return s, createToken(t, s, bootstraptoken.Options{TTL: ttl}, time.Now())
}

func createToken(t *testing.T, s *testserver.Server, opts bootstraptoken.Options, now time.Time) string {
	t.Helper()
	token, err := bootstraptoken.Generate()
	if err != nil {
		t.Fatal(err)
	}
	secret, err := bootstraptoken.NewSecret(token, opts, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client.CoreV1().Secrets(bootstraptoken.Namespace).Create(context.Background(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return token
}

func whoami(t *testing.T, c kubernetes.Interface) authenticationv1.UserInfo {
	t.Helper()
	r, err := c.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.UserInfo
}

// TestJoin: a node with a token and the CA's hash gets a client
// certificate through an auto-approved CSR, is system:node:<name>
// afterwards, and on a restart reuses its kubeconfig without a token.
func TestJoin(t *testing.T) {
	s, token := startCluster(t, time.Hour)
	dir := t.TempDir()
	cfg := bootstrap.Config{Dir: dir, Server: s.URL, Token: token, CAHashes: []string{bootstrap.CAHash(s.PKI.CACert)},
		NodeName: "joiner", Timeout: time.Minute}
	rc, err := bootstrap.Ensure(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(rc)
	u := whoami(t, client)
	if u.Username != "system:node:joiner" || !contains(u.Groups, "system:nodes") {
		t.Fatalf("node authenticates as %+v, want system:node:joiner in system:nodes", u)
	}
	csrs, err := s.Client.CertificatesV1().CertificateSigningRequests().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(csrs.Items) != 1 {
		t.Fatalf("CSRs: %v, %v; want one", csrs, err)
	}
	csr := csrs.Items[0]
	if !strings.HasPrefix(csr.Spec.Username, "system:bootstrap:") || !contains(csr.Spec.Groups, "system:bootstrappers") {
		t.Errorf("CSR requested by %s %v, want the bootstrap token's user", csr.Spec.Username, csr.Spec.Groups)
	}
	if len(csr.Status.Conditions) != 1 || csr.Status.Conditions[0].Type != certificatesv1.CertificateApproved ||
		csr.Status.Conditions[0].Reason != approver.Reason || csr.Status.Conditions[0].Message != approver.MessageNodeClient {
		t.Errorf("CSR conditions %+v, want upstream's auto-approval", csr.Status.Conditions)
	}
	for _, f := range []string{bootstrap.KubeconfigFile, bootstrap.KeyFile, bootstrap.CertFile, bootstrap.CAFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f, err, fi.Mode().Perm())
		}
	}

	// Restart: no token, same identity, no new CSR.
	cfg.Token = ""
	rc, err = bootstrap.Ensure(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u := whoami(t, kubernetes.NewForConfigOrDie(rc)); u.Username != "system:node:joiner" {
		t.Fatalf("after restart: %+v", u)
	}
	// Another node name in the same dir needs a token again.
	cfg.NodeName = "other"
	if _, err := bootstrap.Ensure(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Fatalf("other node without token: %v, want a request for --token", err)
	}
}

// Bad input to a join fails at once, or within the timeout, with a
// message that says what is wrong.
func TestJoinRefused(t *testing.T) {
	s, token := startCluster(t, time.Hour)
	hash := bootstrap.CAHash(s.PKI.CACert)
	expired := createToken(t, s, bootstraptoken.Options{TTL: time.Minute}, time.Now().Add(-time.Hour))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + ln.Addr().String()
	ln.Close()
	cases := []struct {
		name          string
		server, token string
		hash          string
		timeout       time.Duration
		want          string
		is            error
	}{
		{name: "wrong hash", server: s.URL, token: token, hash: "sha256:" + strings.Repeat("ab", 32), is: bootstrap.ErrCAHashMismatch},
		{name: "malformed hash", server: s.URL, token: token, hash: "md5:abc", want: "--ca-cert-hash"},
		{name: "no hash", server: s.URL, token: token, want: "--ca-cert-hash is required"},
		{name: "wrong token secret", server: s.URL, token: token[:7] + "0000000000000000", hash: hash, is: bootstrap.ErrTokenRefused},
		{name: "expired token", server: s.URL, token: expired, hash: hash, is: bootstrap.ErrTokenRefused},
		{name: "malformed token", server: s.URL, token: "secret", hash: hash, want: "--token"},
		{name: "unknown token", server: s.URL, token: "zzzzzz.0123456789abcdef", hash: hash, is: bootstrap.ErrTokenRefused},
		{name: "unreachable server", server: closed, token: token, hash: hash, timeout: 2 * time.Second, want: "gave up"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := bootstrap.Config{Dir: t.TempDir(), Server: tc.server, Token: tc.token, NodeName: "n", Timeout: tc.timeout}
			if tc.hash != "" {
				cfg.CAHashes = []string{tc.hash}
			}
			if cfg.Timeout == 0 {
				cfg.Timeout = 30 * time.Second
			}
			_, err := bootstrap.Ensure(context.Background(), cfg)
			switch {
			case err == nil:
				t.Fatal("joined")
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Fatalf("error %v, want %v", err, tc.is)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %v, want it to say %q", err, tc.want)
			}
			if _, serr := os.Stat(filepath.Join(cfg.Dir, bootstrap.KubeconfigFile)); serr == nil {
				t.Error("a kubeconfig was written")
			}
		})
	}
}

// A refused bootstrap token (unknown id, wrong secret, expired) is a 401
// with upstream's Unauthorized Status, not an anonymous request; the
// valid token is its user (whom RBAC does not let list pods: 403).
func TestTokenUnauthorized(t *testing.T) {
	s, token := startCluster(t, time.Hour)
	expired := createToken(t, s, bootstraptoken.Options{TTL: time.Minute}, time.Now().Add(-time.Hour))
	get := func(bearer string) (int, []byte) {
		t.Helper()
		rc := rest.AnonymousClientConfig(s.RESTConfig)
		rc.BearerToken = bearer
		hc, err := rest.HTTPClientFor(rc)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Get(s.URL + "/api/v1/namespaces/default/pods")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	for name, bearer := range map[string]string{"unknown id": "zzzzzz.0123456789abcdef", "wrong secret": token[:7] + "0000000000000000", "expired": expired} {
		code, body := get(bearer)
		var st metav1.Status
		if err := json.Unmarshal(body, &st); err != nil || code != http.StatusUnauthorized || st.Kind != "Status" ||
			st.Reason != metav1.StatusReasonUnauthorized || st.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s (%v), want 401 with an Unauthorized Status", name, code, body, err)
		}
	}
	// The valid token authenticates; RBAC gives bootstrap tokens CSRs,
	// not pods: 403, not 401.
	if code, body := get(token); code != http.StatusForbidden {
		t.Errorf("valid token: %d %s, want 403 (authenticated, not allowed to list pods)", code, body)
	}
	if u := whoami(t, kubernetes.NewForConfigOrDie(&rest.Config{Host: s.URL, BearerToken: token,
		TLSClientConfig: rest.TLSClientConfig{CAData: s.RESTConfig.CAData}})); u.Username != "system:bootstrap:"+token[:6] ||
		!contains(u.Groups, "system:bootstrappers") || !contains(u.Groups, bootstraptoken.GroupNodeBootstrappers) {
		t.Errorf("valid token authenticates as %+v", u)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
