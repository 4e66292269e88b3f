package images

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func dockerConfigJSON(name string, auths map[string]string) corev1.Secret {
	var entries []string
	for reg, userPass := range auths {
		entries = append(entries, fmt.Sprintf("%q: {\"auth\": %q}", reg, base64.StdEncoding.EncodeToString([]byte(userPass))))
	}
	return corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: "uid-" + "name"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths": {` + strings.Join(entries, ",") + `}}`)},
	}
}

func users(creds []Credential) string {
	var out []string
	for _, c := range creds {
		out = append(out, c.Auth.Username)
	}
	return strings.Join(out, ",")
}

func TestKeyringLookup(t *testing.T) {
	k, err := NewKeyring([]corev1.Secret{
		dockerConfigJSON("a", map[string]string{
			"127.0.0.1:5000":              "local:pw",
			"https://index.docker.io/v1/": "hub:pw",
			"*.example.com":               "glob:pw",
			"registry.example.com/team":   "team:pw",
			"http://plain.example.org":    "plain:pw",
		}),
		{ // the older kind: no "auths", username and password fields
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "old"},
			Type:       corev1.SecretTypeDockercfg,
			Data:       map[string][]byte{corev1.DockerConfigKey: []byte(`{"old.example.net": {"username": "old", "password": "pw"}}`)},
		},
		{ // not a pull secret: ignored
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "opaque"},
			Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(`not json`)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for repo, want := range map[string]string{
		"127.0.0.1:5000/app":             "local",
		"127.0.0.1:5001/app":             "",
		"docker.io/library/busybox":      "hub",
		"registry.example.com/team/app":  "team,glob",
		"registry.example.com/other/app": "glob",
		"a.b.example.com/app":            "",
		"example.com/app":                "",
		"plain.example.org/x":            "plain",
		"old.example.net/x/y":            "old",
		"quay.io/x":                      "",
	} {
		if got := users(k.Lookup(repo)); got != want {
			t.Errorf("Lookup(%q) = %q, want %q", repo, got, want)
		}
	}
	if c := k.Lookup("127.0.0.1:5000/app"); len(c) != 1 || c[0].Auth.Password != "pw" || c[0].SecretName != "a" || c[0].Hash == "" {
		t.Errorf("credential: %+v", c)
	}
}

func TestKeyringBadSecrets(t *testing.T) {
	for _, s := range []corev1.Secret{
		{Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{`)}},
		{Type: corev1.SecretTypeDockercfg, Data: map[string][]byte{corev1.DockerConfigKey: []byte(`[]`)}},
		dockerConfigJSON("noColon", map[string]string{"r.io": "justuser"}),
		{Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths": {"r.io": {"auth": "!!!"}}}`)}},
	} {
		if _, err := NewKeyring([]corev1.Secret{s}); err == nil {
			t.Errorf("NewKeyring(%s): want an error", s.Data)
		}
	}
}
