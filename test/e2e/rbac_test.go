package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestKubectlRBAC: RBAC as a user meets it with kubectl. A
// ServiceAccount's token is refused `get secrets -A`; a RoleBinding to
// view lets it read pods in its namespace only, still not secrets;
// `auth can-i` and `auth can-i --list` say so; it may not impersonate;
// bound to admin it may write a role within its rights but not one that
// grants more; view is filled by aggregation, also from a ClusterRole
// labelled aggregate-to-view.
func TestKubectlRBAC(t *testing.T) {
	eachKubectl(t, "rbac", func(t *testing.T, k *kubectl, _ string) { rbacSession(t, k) })
}

// eventually runs kubectl args until it succeeds (a binding takes
// effect when the server's RBAC informers see it).
func (k *kubectl) eventually(t *testing.T, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, errOut, err := k.exec("", args)
		if err == nil {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func rbacSession(t *testing.T, k *kubectl) {
	for _, ns := range []string{"rbac-dev", "rbac-prod"} {
		k.run(t, "create", "namespace", ns)
		t.Cleanup(func() { k.exec("", []string{"delete", "namespace", ns, "--wait=false"}) }) //nolint:errcheck // best effort
	}
	k.run(t, "create", "serviceaccount", "bot", "-n", "rbac-dev")
	token := strings.TrimSpace(k.run(t, "create", "token", "bot", "-n", "rbac-dev"))
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
  context: {cluster: c, user: bot, namespace: rbac-dev}
current-context: bot
`, 0o600)
	bot := newKubectl(t, k.bin, kc)
	const user = "system:serviceaccount:rbac-dev:bot"

	// Nothing bound yet: upstream's Forbidden message.
	bot.fail(t, `Error from server (Forbidden): secrets is forbidden: User "`+user+`" cannot list resource "secrets" in API group "" at the cluster scope`,
		"get", "secrets", "-A")
	if out, _, _ := k.exec("", []string{"auth", "can-i", "list", "pods", "-n", "rbac-dev", "--as", user}); strings.TrimSpace(out) != "no" {
		t.Errorf("auth can-i list pods --as bot before the binding = %q, want no", out)
	}

	k.run(t, "create", "rolebinding", "bot-view", "--clusterrole=view", "--serviceaccount=rbac-dev:bot", "-n", "rbac-dev")
	bot.eventually(t, "get", "pods")
	bot.fail(t, `secrets is forbidden: User "`+user+`" cannot list resource "secrets" in API group "" in the namespace "rbac-dev"`, "get", "secrets")
	bot.fail(t, `pods is forbidden: User "`+user+`" cannot list resource "pods" in API group "" in the namespace "rbac-prod"`, "get", "pods", "-n", "rbac-prod")
	bot.fail(t, "Forbidden", "get", "secrets", "-A")
	if out := strings.TrimSpace(k.run(t, "auth", "can-i", "list", "pods", "-n", "rbac-dev", "--as", user)); out != "yes" {
		t.Errorf("auth can-i list pods --as bot = %q", out)
	}
	if out := strings.TrimSpace(bot.run(t, "auth", "can-i", "watch", "deployments.apps")); out != "yes" {
		t.Errorf("bot: auth can-i watch deployments = %q", out)
	}
	if out, _, _ := bot.exec("", []string{"auth", "can-i", "get", "secrets"}); strings.TrimSpace(out) != "no" {
		t.Errorf("bot: auth can-i get secrets = %q, want no", out)
	}
	list := bot.run(t, "auth", "can-i", "--list")
	if !strings.Contains(list, "pods ") || strings.Contains(list, "\nsecrets ") {
		t.Errorf("bot: auth can-i --list:\n%s", list)
	}
	rows := table(list)
	found := false
	for _, r := range rows {
		if len(r) > 0 && r[0] == "pods" {
			found = strings.Contains(strings.Join(r, " "), "[get list watch]")
		}
	}
	if !found {
		t.Errorf("bot: auth can-i --list has no pods row with [get list watch]:\n%s", list)
	}

	// --as: the admin may, the bot may not.
	if who := k.run(t, "auth", "whoami", "--as", "alice", "-o", "jsonpath={.status.userInfo.username}"); who != "alice" {
		t.Errorf("admin auth whoami --as alice = %q", who)
	}
	bot.fail(t, `users "alice" is forbidden: User "`+user+`" cannot impersonate resource "users" in API group "" at the cluster scope`,
		"get", "pods", "--as", "alice")

	// Escalation: as admin of rbac-dev the bot may write roles with
	// rights it holds there, not others.
	k.run(t, "create", "rolebinding", "bot-admin", "--clusterrole=admin", "--serviceaccount=rbac-dev:bot", "-n", "rbac-dev")
	bot.eventually(t, "get", "secrets")
	bot.run(t, "create", "role", "cm-reader", "--verb=get,list", "--resource=configmaps")
	bot.fail(t, `roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "`+user+`" (groups=["system:serviceaccounts" "system:serviceaccounts:rbac-dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:`,
		"create", "role", "node-reader", "--verb=get", "--resource=nodes")
	bot.fail(t, "is attempting to grant RBAC permissions not currently held", "create", "rolebinding", "steal", "--clusterrole=cluster-admin", "--user=mallory")

	// Aggregation: a ClusterRole labelled aggregate-to-view adds its
	// rules to view (and so to edit and admin).
	k.runIn(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: [example.com]
  resources: [widgets]
  verbs: [get, list, watch]
`, "apply", "-f", "-")
	deadline := time.Now().Add(30 * time.Second)
	for {
		view := k.run(t, "get", "clusterrole", "view", "-o", "jsonpath={.rules}")
		admin := k.run(t, "get", "clusterrole", "admin", "-o", "jsonpath={.rules}")
		if strings.Contains(view, "widgets") && strings.Contains(admin, "widgets") && strings.Contains(view, `"pods"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("view and admin do not aggregate widgets-view:\nview: %s\nadmin: %s", view, admin)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// (auth can-i cannot name a resource discovery does not know; the
	// rules review lists it.)
	if list := bot.run(t, "auth", "can-i", "--list"); !strings.Contains(list, "widgets.example.com") {
		t.Errorf("bot: auth can-i --list has no widgets.example.com:\n%s", list)
	}
}
