package images

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Credential is one set of registry credentials from a pull secret.
type Credential struct {
	Auth *runtimeapi.AuthConfig
	// Hash identifies the credentials (sha256 of username, password and
	// email), so an image pulled with them can be matched later.
	Hash string
	// Secret is the pull secret it came from.
	SecretNamespace, SecretName, SecretUID string
}

// Keyring holds the credentials of a pod's pull secrets, indexed by the
// registry (host[:port][/path]) each entry names. Lookup matches them to
// an image's repository as upstream's docker keyring does.
type Keyring struct {
	// keys sorted in reverse, so a longer (more specific) key of the
	// same host comes first.
	keys  []string
	creds map[string][]Credential
}

// dockerConfigEntry is one registry's entry in a .dockercfg or
// .dockerconfigjson; "auth" (base64 of user:password) wins over
// username and password.
type dockerConfigEntry struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Email    string `json:"email,omitempty"`
	Auth     string `json:"auth,omitempty"`
}

// NewKeyring reads the pull secrets of type kubernetes.io/dockerconfigjson
// (key .dockerconfigjson, {"auths": {registry: entry}}) and
// kubernetes.io/dockercfg (key .dockercfg, {registry: entry}); other
// secrets are skipped. A malformed secret is an error naming it.
func NewKeyring(secrets []corev1.Secret) (*Keyring, error) {
	k := &Keyring{creds: map[string][]Credential{}}
	for i := range secrets {
		s := &secrets[i]
		var entries map[string]dockerConfigEntry
		switch b := s.Data[corev1.DockerConfigJsonKey]; {
		case s.Type == corev1.SecretTypeDockerConfigJson && len(b) > 0:
			var cfg struct {
				Auths map[string]dockerConfigEntry `json:"auths"`
			}
			if err := json.Unmarshal(b, &cfg); err != nil {
				return nil, fmt.Errorf("pull secret %s/%s: %w", s.Namespace, s.Name, err)
			}
			entries = cfg.Auths
		case s.Type == corev1.SecretTypeDockercfg && len(s.Data[corev1.DockerConfigKey]) > 0:
			if err := json.Unmarshal(s.Data[corev1.DockerConfigKey], &entries); err != nil {
				return nil, fmt.Errorf("pull secret %s/%s: %w", s.Namespace, s.Name, err)
			}
		default:
			continue
		}
		for registry, e := range entries {
			if e.Auth != "" {
				user, pass, err := decodeAuth(e.Auth)
				if err != nil {
					return nil, fmt.Errorf("pull secret %s/%s, registry %q: %w", s.Namespace, s.Name, registry, err)
				}
				e.Username, e.Password = user, pass
			}
			key, ok := registryKey(registry)
			if !ok {
				continue // as upstream: an unparsable entry is ignored
			}
			k.creds[key] = append(k.creds[key], Credential{
				Auth:            &runtimeapi.AuthConfig{Username: e.Username, Password: e.Password},
				Hash:            hashCredentials(e.Username, e.Password, e.Email),
				SecretNamespace: s.Namespace, SecretName: s.Name, SecretUID: string(s.UID),
			})
		}
	}
	for key := range k.creds {
		k.keys = append(k.keys, key)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(k.keys)))
	return k, nil
}

// decodeAuth decodes base64 "user:password", padded or not.
func decodeAuth(field string) (string, string, error) {
	enc := base64.RawStdEncoding
	if strings.HasSuffix(strings.TrimSpace(field), "=") {
		enc = base64.StdEncoding
	}
	b, err := enc.DecodeString(field)
	if err != nil {
		return "", "", err
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", "", fmt.Errorf("unable to parse auth field, must be formatted as base64(username:password)")
	}
	return user, pass, nil
}

func hashCredentials(user, pass, email string) string {
	b, _ := json.Marshal([]string{user, pass, email})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// registryKey turns a config entry's registry ("https://index.docker.io/v1/",
// "127.0.0.1:5000", "*.example.com/team") into host[:port][/path], the
// /v1/ or /v2/ API prefix dropped.
func registryKey(registry string) (string, bool) {
	if !strings.HasPrefix(registry, "https://") && !strings.HasPrefix(registry, "http://") {
		registry = "https://" + registry
	}
	u, err := url.Parse(registry)
	if err != nil {
		return "", false
	}
	p := u.Path
	if strings.HasPrefix(p, "/v2/") || strings.HasPrefix(p, "/v1/") {
		p = p[3:]
	}
	if p == "" || p == "/" {
		return u.Host, true
	}
	return u.Host + p, true
}

// Lookup returns the credentials for repository (as Reference.Repository
// gives it, e.g. "127.0.0.1:5000/team/app" or "docker.io/library/busybox"),
// most specific key first. A key matches when its host has as many
// dot-separated parts, each matching as a glob ("*.example.com"), the
// same port, and its path is a prefix of the repository's path.
// Credentials for index.docker.io also serve docker.io images.
func (k *Keyring) Lookup(repository string) []Credential {
	var out []Credential
	for _, key := range k.keys {
		if keyMatches(key, repository) {
			out = append(out, k.creds[key]...)
		}
	}
	if len(out) == 0 && isDockerHub(repository) {
		out = append(out, k.creds["index.docker.io"]...)
	}
	return out
}

func keyMatches(key, repository string) bool {
	glob, err1 := url.Parse("https://" + key)
	target, err2 := url.Parse("https://" + repository)
	if err1 != nil || err2 != nil {
		return false
	}
	globParts, globPort := splitHost(glob.Host)
	targetParts, targetPort := splitHost(target.Host)
	if globPort != targetPort || len(globParts) != len(targetParts) || !strings.HasPrefix(target.Path, glob.Path) {
		return false
	}
	for i := range globParts {
		if ok, err := path.Match(globParts[i], targetParts[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

func splitHost(hostport string) ([]string, string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	return strings.Split(host, "."), port
}

// isDockerHub: the repository lives on Docker Hub (no registry host, or
// docker.io / index.docker.io).
func isDockerHub(repository string) bool {
	first, _, found := strings.Cut(repository, "/")
	switch {
	case first == "":
		return false
	case !found, first == "docker.io", first == "index.docker.io":
		return true
	}
	return !strings.ContainsAny(first, ".:")
}
