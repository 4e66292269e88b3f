package authn_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/pki"
)

const wantUnauthorized = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}` + "\n"

// whoami is the response of the echo handler behind the filter.
type whoami struct {
	User          authn.User
	Authorization string
}

type testServer struct {
	*httptest.Server
	bundle *pki.Bundle
	dir    string
}

// startServer runs the authentication filter over real TLS, configured the
// way the API server is: serving cert from pki, client certs requested,
// verified by the X509 authenticator; plus a static token file.
func startServer(t *testing.T) *testServer {
	t.Helper()
	dir := t.TempDir()
	b, err := pki.Ensure(filepath.Join(dir, "pki"), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tokenPath := filepath.Join(dir, "tokens.csv")
	tokens := "secret-alice,alice,1001,\"dev,ops\"\nsecret-bob,bob,1002\n"
	if err := os.WriteFile(tokenPath, []byte(tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	tf, err := authn.LoadTokenFile(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	a := authn.NewUnion(authn.NewX509(b.CAPool), authn.NewBearerToken(tf))
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := authn.UserFrom(r.Context())
		if !ok {
			http.Error(w, "no user in context", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(whoami{User: *u, Authorization: r.Header.Get("Authorization")})
	})
	srv := httptest.NewUnstartedServer(authn.WithAuthentication(echo, a, "/openid/v1/jwks"))
	srv.TLS = b.ServerTLSConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, bundle: b, dir: dir}
}

// client returns an HTTPS client trusting the cluster CA, presenting the
// given client certificate if certPEM is non-nil.
func (s *testServer) client(t *testing.T, certPEM, keyPEM []byte) *http.Client {
	t.Helper()
	cfg := &tls.Config{RootCAs: s.bundle.CAPool}
	if certPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

func get(t *testing.T, c *http.Client, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func decodeWhoami(t *testing.T, body string) whoami {
	t.Helper()
	var w whoami
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return w
}

func TestWithAuthentication(t *testing.T) {
	s := startServer(t)
	foreign, err := pki.Ensure(filepath.Join(s.dir, "other-pki"), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	foreignCert, foreignKey, err := foreign.IssueClientCert("mallory", []string{"system:masters"})
	if err != nil {
		t.Fatal(err)
	}
	// The serving certificate is signed by the right CA but is not for
	// client authentication.
	servingAsClient := s.client(t, s.bundle.ServingCertPEM, s.bundle.ServingKeyPEM)

	cases := []struct {
		name       string
		client     *http.Client
		path       string
		token      string
		wantUser   string
		wantGroups []string
	}{
		{"admin cert", s.client(t, s.bundle.AdminCertPEM, s.bundle.AdminKeyPEM), "/api", "",
			"tinykube-admin", []string{"system:masters", "system:authenticated"}},
		{"token", s.client(t, nil, nil), "/api/v1/pods", "secret-alice",
			"alice", []string{"dev", "ops", "system:authenticated"}},
		{"token without groups", s.client(t, nil, nil), "/api", "secret-bob",
			"bob", []string{"system:authenticated"}},
		{"valid cert wins over bad token", s.client(t, s.bundle.AdminCertPEM, s.bundle.AdminKeyPEM), "/api", "nope",
			"tinykube-admin", []string{"system:masters", "system:authenticated"}},
		{"healthz anonymous", s.client(t, nil, nil), "/healthz", "",
			"system:anonymous", []string{"system:unauthenticated"}},
		{"readyz subpath anonymous", s.client(t, nil, nil), "/readyz/etcd", "",
			"system:anonymous", []string{"system:unauthenticated"}},
		{"extra anonymous path", s.client(t, nil, nil), "/openid/v1/jwks", "",
			"system:anonymous", []string{"system:unauthenticated"}},
		{"healthz with token", s.client(t, nil, nil), "/healthz", "secret-bob",
			"bob", []string{"system:authenticated"}},
		{"no credentials", s.client(t, nil, nil), "/api", "", "", nil},
		{"healthz prefix is not healthz", s.client(t, nil, nil), "/healthzz", "", "", nil},
		{"unknown token", s.client(t, nil, nil), "/api", "secret-carol", "", nil},
		{"unknown token on healthz", s.client(t, nil, nil), "/healthz", "secret-carol", "", nil},
		{"cert from another CA", s.client(t, foreignCert, foreignKey), "/api", "", "", nil},
		{"serving cert as client cert", servingAsClient, "/api", "", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, tc.client, s.URL+tc.path, tc.token)
			if tc.wantUser == "" {
				if code != http.StatusUnauthorized || body != wantUnauthorized {
					t.Fatalf("got %d %q, want 401 %q", code, body, wantUnauthorized)
				}
				return
			}
			if code != http.StatusOK {
				t.Fatalf("got %d %q", code, body)
			}
			w := decodeWhoami(t, body)
			if w.User.Name != tc.wantUser || !slices.Equal(w.User.Groups, tc.wantGroups) {
				t.Errorf("user = %+v, want %s %v", w.User, tc.wantUser, tc.wantGroups)
			}
			if w.Authorization != "" {
				t.Errorf("Authorization header reached the handler: %q", w.Authorization)
			}
		})
	}
}

func TestUnauthorizedHeaders(t *testing.T) {
	s := startServer(t)
	resp, err := s.client(t, nil, nil).Get(s.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestKubeconfigWithClientGo(t *testing.T) {
	s := startServer(t)
	path := filepath.Join(s.dir, "admin.kubeconfig")
	if err := s.bundle.WriteKubeconfig(path, s.URL, ""); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, hc, strings.TrimSuffix(cfg.Host, "/")+"/apis", "")
	if code != http.StatusOK {
		t.Fatalf("got %d %q", code, body)
	}
	w := decodeWhoami(t, body)
	if w.User.Name != pki.AdminUser || !w.User.InGroup(authn.GroupMasters) {
		t.Errorf("user = %+v", w.User)
	}
	if id := w.User.Extra[authn.CredentialIDKey]; len(id) != 1 || !strings.HasPrefix(id[0], "X509SHA256=") {
		t.Errorf("credential id = %v, want X509SHA256=<fingerprint>", id)
	}
}
