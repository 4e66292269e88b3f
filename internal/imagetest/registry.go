package imagetest

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is an OCI distribution registry served over plain HTTP on
// 127.0.0.1 by this test process, in memory, until the test ends.
type Registry struct {
	// Host is "127.0.0.1:PORT", the registry part of its image names.
	Host string
	// Username and Password, if set, are required (basic auth) for
	// every request, pushes and pulls alike.
	Username, Password string
}

// StartRegistry starts an open registry.
func StartRegistry(t testing.TB) *Registry {
	return StartPrivateRegistry(t, "", "")
}

// StartPrivateRegistry starts a registry that answers 401 with a Basic
// challenge unless a request carries username and password (none needed
// if username is empty).
func StartPrivateRegistry(t testing.TB, username, password string) *Registry {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if username != "" {
		h = basicAuth(h, username, password)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), Username: username, Password: password}
}

func basicAuth(next http.Handler, username, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(username)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="imagetest"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Push uploads img as repo:tag (e.g. "busybox:1.36") and returns its
// full reference, Host/repo:tag.
func (r *Registry) Push(t testing.TB, repoTag string, img v1.Image) string {
	t.Helper()
	ref, err := name.ParseReference(r.Host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	auth := authn.Anonymous
	if r.Username != "" {
		auth = &authn.Basic{Username: r.Username, Password: r.Password}
	}
	if err := remote.Write(ref, img, remote.WithAuth(auth)); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return ref.String()
}

// PullSecret is a kubernetes.io/dockerconfigjson Secret namespace/name
// holding r's username and password for r.Host, as a pod's
// imagePullSecrets names it.
func (r *Registry) PullSecret(namespace, name string) *corev1.Secret {
	auth := base64.StdEncoding.EncodeToString([]byte(r.Username + ":" + r.Password))
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, r.Host, auth))},
	}
}

// Registries is an open registry and a private one (user alice,
// password s3cret), serving Busybox as busybox:1 and team/busybox:2.
type Registries struct {
	Busybox             v1.Image
	Open, Private       *Registry
	OpenRef, PrivateRef string // the pushed images' names
}

// StartRegistries starts Registries for t.
func StartRegistries(t testing.TB) *Registries {
	t.Helper()
	r := &Registries{Busybox: Busybox(t), Open: StartRegistry(t), Private: StartPrivateRegistry(t, "alice", "s3cret")}
	r.OpenRef = r.Open.Push(t, "busybox:1", r.Busybox)
	r.PrivateRef = r.Private.Push(t, "team/busybox:2", r.Busybox)
	return r
}
