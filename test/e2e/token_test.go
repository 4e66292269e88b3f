package e2e

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestKubectlCreateToken: `kubectl create token` asks serviceaccounts/token
// for a token, which then authenticates kubectl as the service account
// (`kubectl auth whoami` with a kubeconfig holding only that token), and
// which a TokenReview accepts; a pod-bound token names its pod.
func TestKubectlCreateToken(t *testing.T) {
	eachKubectl(t, "create token", func(t *testing.T, k *kubectl, _ string) { tokenSession(t, k) })
}

func tokenSession(t *testing.T, k *kubectl) {
	k.run(t, "create", "namespace", "tokens")
	t.Cleanup(func() { k.exec("", []string{"delete", "namespace", "tokens", "--wait=false"}) }) //nolint:errcheck // best effort
	k.run(t, "create", "serviceaccount", "bot", "-n", "tokens")
	token := strings.TrimSpace(k.run(t, "create", "token", "bot", "-n", "tokens", "--duration", "20m"))
	if strings.Count(token, ".") != 2 {
		t.Fatalf("kubectl create token printed %q, want a JWT", token)
	}

	// A kubeconfig with the cluster's address and CA and only the token.
	server := k.run(t, "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	ca := k.run(t, "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}")
	kc := writeFile(t, t.TempDir(), "bot.kubeconfig", `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "`+server+`", certificate-authority-data: "`+ca+`"}
users:
- name: bot
  user: {token: "`+token+`"}
contexts:
- name: bot
  context: {cluster: c, user: bot, namespace: tokens}
current-context: bot
`, 0o600)
	bot := newKubectl(t, k.bin, kc)
	if who := bot.run(t, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); who != "system:serviceaccount:tokens:bot" {
		t.Errorf("auth whoami with the token = %q", who)
	}
	groups := bot.run(t, "auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}")
	if !strings.Contains(groups, `"system:serviceaccounts:tokens"`) {
		t.Errorf("groups = %s", groups)
	}

	review := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + token + `"}}`
	var tr struct {
		Status struct {
			Authenticated bool     `json:"authenticated"`
			Audiences     []string `json:"audiences"`
			User          struct {
				Username string `json:"username"`
			} `json:"user"`
		} `json:"status"`
	}
	out := k.runIn(t, review, "create", "-f", "-", "-o", "json")
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatal(err)
	}
	if !tr.Status.Authenticated || tr.Status.User.Username != "system:serviceaccount:tokens:bot" || len(tr.Status.Audiences) == 0 {
		t.Errorf("TokenReview status = %+v", tr.Status)
	}

	// Bound to a pod that runs as the account.
	k.runIn(t, `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: tokens}
spec:
  serviceAccountName: bot
  containers: [{name: c, image: busybox}]
`, "apply", "-f", "-")
	bound := strings.TrimSpace(k.run(t, "create", "token", "bot", "-n", "tokens", "--bound-object-kind", "Pod", "--bound-object-name", "p"))
	parts := strings.Split(bound, ".")
	if len(parts) != 3 {
		t.Fatalf("bound token %q", bound)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Kubernetes struct {
			Pod struct{ Name, UID string } `json:"pod"`
		} `json:"kubernetes.io"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	uid := k.run(t, "get", "pod", "p", "-n", "tokens", "-o", "jsonpath={.metadata.uid}")
	if claims.Kubernetes.Pod.Name != "p" || claims.Kubernetes.Pod.UID != uid {
		t.Errorf("bound token's pod claim = %+v, want p/%s", claims.Kubernetes.Pod, uid)
	}
	// The pod itself got the token volume from ServiceAccount admission.
	mounts := k.run(t, "get", "pod", "p", "-n", "tokens", "-o", "jsonpath={.spec.containers[0].volumeMounts[0].mountPath}")
	if mounts != "/var/run/secrets/kubernetes.io/serviceaccount" {
		t.Errorf("pod's first mount = %q, want the service-account token volume", mounts)
	}
}
