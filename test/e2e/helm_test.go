package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildHelm builds the helm CLI (helm.sh/helm/v4/cmd/helm) at the version
// test/tools/helm/go.mod pins, stamped with that version as upstream's
// release build does.
func buildHelm(t *testing.T) string {
	t.Helper()
	modFile := filepath.Join(moduleRoot(t), "test", "tools", "helm", "go.mod")
	version := requiredVersion(t, modFile, "helm.sh/helm/v4")
	if version == "" {
		t.Fatalf("%s does not require helm.sh/helm/v4", modFile)
	}
	return buildGoTool(t, "helm", "helm.sh/helm/v4/cmd/helm",
		"-s -w -X helm.sh/helm/v4/internal/version.version="+version)
}

// TestHelm drives Helm v4 against `tinykube server --simulated-nodes 1`
// with the chart in testdata/helm/gadgets: a CRD in crds/, a custom
// resource of it, a ConfigMap, a Deployment, and a Job that is a
// pre-install and post-upgrade hook (Helm waits for it to complete; on
// simulated nodes a Job's pods complete by themselves). It installs,
// upgrades, rolls back and uninstalls the release, and after each step
// checks the release's history and state as Helm records them (its
// Secrets) and the objects in the cluster.
func TestHelm(t *testing.T) {
	tk := buildTinykube(t)
	helmBin := buildHelm(t)
	kubectlBin := buildKubectl(t)
	s := startServer(t, tk, "--simulated-nodes", "1")

	home := t.TempDir()
	helm := newKubectl(t, helmBin, s.Kubeconfig).with(
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	k := newKubectl(t, kubectlBin, s.Kubeconfig)
	chart, err := filepath.Abs(filepath.Join("testdata", "helm", "gadgets"))
	if err != nil {
		t.Fatal(err)
	}
	const ns = "helm-e2e"
	start := time.Now()

	if out := runTool(t, helm, "version", "--short"); !strings.HasPrefix(out, "v4.") {
		t.Fatalf("helm version --short: %q, want v4.*", out)
	}

	// install: the CRD first, then the pre-install hook (waited for), then
	// the templates.
	runTool(t, helm, "install", "demo", chart, "-n", ns, "--create-namespace", "--wait", "--timeout", "2m")
	checkRelease(t, helm, ns, 1, "deployed", "Install complete")
	checkHistory(t, helm, k, ns, "deployed")
	if got := k.run(t, "get", "crd", "gadgets.e2e.example.com", "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"); got != "True" {
		t.Errorf("CRD from crds/ Established=%q, want True", got)
	}
	checkObjects(t, k, ns, "hello", "1", "1")
	// Helm waited for the pre-install hook before creating the templates.
	hookDone := k.run(t, "get", "job", "demo-hook", "-n", ns, "-o", "jsonpath={.status.completionTime}")
	cmCreated := k.run(t, "get", "configmap", "demo-config", "-n", ns, "-o", "jsonpath={.metadata.creationTimestamp}")
	if hookDone == "" || hookDone > cmCreated { // both RFC 3339 in UTC: they sort as strings
		t.Errorf("pre-install hook completed at %q, after the ConfigMap was created at %s", hookDone, cmCreated)
	}

	// upgrade: a new message; the post-upgrade hook runs again.
	runTool(t, helm, "upgrade", "demo", chart, "-n", ns, "--set", "message=goodbye", "--wait", "--timeout", "2m")
	checkRelease(t, helm, ns, 2, "deployed", "Upgrade complete")
	checkHistory(t, helm, k, ns, "superseded", "deployed")
	checkObjects(t, k, ns, "goodbye", "2", "2")

	// rollback to revision 1: its manifest again, as revision 3; the hook
	// is not a rollback hook, so the Job is still revision 2's.
	runTool(t, helm, "rollback", "demo", "1", "-n", ns, "--wait", "--timeout", "2m")
	checkRelease(t, helm, ns, 3, "deployed", "Rollback to 1")
	checkHistory(t, helm, k, ns, "superseded", "superseded", "deployed")
	checkObjects(t, k, ns, "hello", "1", "2")

	// uninstall: the templates' objects and the release records go; the
	// CRD stays (Helm never deletes crds/), and so does the hook Job (hooks
	// are not part of the release's manifest).
	runTool(t, helm, "uninstall", "demo", "-n", ns, "--wait", "--timeout", "2m")
	if out, errOut, err := helm.exec("", []string{"status", "demo", "-n", ns}); err == nil || !strings.Contains(errOut, "not found") {
		t.Errorf("helm status after uninstall: err %v, stdout %q, stderr %q; want release not found", err, out, errOut)
	}
	if out := runTool(t, helm, "list", "-n", ns, "-q", "--deployed", "--failed", "--pending", "--superseded", "--uninstalled", "--uninstalling"); out != "" {
		t.Errorf("helm list (every state) after uninstall: %q, want nothing", out)
	}
	for _, obj := range []string{"configmap/demo-config", "deployment/demo-web", "gadget/demo"} {
		if out, errOut, err := k.exec("", []string{"get", "-n", ns, obj}); err == nil || !strings.Contains(errOut, "NotFound") {
			t.Errorf("kubectl get %s after uninstall: err %v, stdout %q, stderr %q; want NotFound", obj, err, out, errOut)
		}
	}
	if out := k.run(t, "get", "secrets", "-n", ns, "-l", "owner=helm", "-o", "name"); out != "" {
		t.Errorf("release Secrets after uninstall:\n%s", out)
	}
	eventuallyCmd(t, k, "no pods of demo-web after uninstall", func(out string) bool { return out == "" },
		"get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance=demo", "-o", "name")
	k.run(t, "get", "crd", "gadgets.e2e.example.com")
	k.run(t, "get", "job", "demo-hook", "-n", ns)
	t.Logf("install, upgrade, rollback, uninstall took %s", time.Since(start).Round(time.Millisecond))
}

// runTool runs a tool (helm, k9s…) through k's environment and returns its
// trimmed stdout, failing t if it fails.
func runTool(t *testing.T, k *kubectl, args ...string) string {
	t.Helper()
	out, errOut, err := k.exec("", args)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(k.bin), strings.Join(args, " "), err, out, errOut)
	}
	return strings.TrimSpace(out)
}

// checkRelease checks `helm status` and the release's Secret for revision.
func checkRelease(t *testing.T, helm *kubectl, ns string, revision int, status, description string) {
	t.Helper()
	var st struct {
		Name    string `json:"name"`
		Version int    `json:"version"`
		Info    struct {
			Status      string `json:"status"`
			Description string `json:"description"`
		} `json:"info"`
	}
	out := runTool(t, helm, "status", "demo", "-n", ns, "-o", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("helm status -o json: %v\n%s", err, out)
	}
	if st.Version != revision || st.Info.Status != status || st.Info.Description != description {
		t.Errorf("helm status: revision %d %s %q, want %d %s %q", st.Version, st.Info.Status, st.Info.Description, revision, status, description)
	}
}

// checkHistory checks `helm history` and the release's Secrets: one per
// revision, in order, with these statuses.
func checkHistory(t *testing.T, helm, k *kubectl, ns string, statuses ...string) {
	t.Helper()
	var hist []struct {
		Revision int    `json:"revision"`
		Status   string `json:"status"`
	}
	out := runTool(t, helm, "history", "demo", "-n", ns, "-o", "json")
	if err := json.Unmarshal([]byte(out), &hist); err != nil {
		t.Fatalf("helm history -o json: %v\n%s", err, out)
	}
	var got, want []string
	for _, h := range hist {
		got = append(got, fmt.Sprintf("%d %s", h.Revision, h.Status))
	}
	for i, s := range statuses {
		want = append(want, fmt.Sprintf("%d %s", i+1, s))
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("helm history: %v, want %v", got, want)
	}

	// Helm's record of the release in the cluster: one Secret per
	// revision, labelled with that revision's status.
	out = k.run(t, "get", "secrets", "-n", ns, "-l", "owner=helm,name=demo", "-o",
		`jsonpath={range .items[*]}{.metadata.labels.version} {.metadata.labels.status}, {end}`)
	if got, want := strings.TrimSuffix(out, ", "), strings.Join(want, ", "); got != want {
		t.Errorf("release Secrets (version status): %s, want %s", got, want)
	}
}

// checkObjects checks the release's objects in the cluster: the
// ConfigMap and the Gadget carry message, the ConfigMap was rendered by
// revision renderedBy, the Deployment is rolled out with one ready pod
// whose template carries message, and the hook Job was last run by
// revision hookRevision and completed.
func checkObjects(t *testing.T, k *kubectl, ns, message, renderedBy, hookRevision string) {
	t.Helper()
	if got := k.run(t, "get", "configmap", "demo-config", "-n", ns, "-o", "jsonpath={.data.message} {.data.revision}"); got != message+" "+renderedBy {
		t.Errorf("ConfigMap demo-config: message and revision %q, want %q", got, message+" "+renderedBy)
	}
	if got := k.run(t, "get", "gadget", "demo", "-n", ns, "-o", "jsonpath={.spec.message}"); got != message {
		t.Errorf("Gadget demo: spec.message %q, want %q", got, message)
	}
	k.run(t, "rollout", "status", "deployment/demo-web", "-n", ns, "--timeout", "60s")
	if got := k.run(t, "get", "deployment", "demo-web", "-n", ns, "-o",
		`jsonpath={.status.readyReplicas} {.spec.template.metadata.annotations.e2e\.example\.com/message}`); got != "1 "+message {
		t.Errorf("Deployment demo-web: ready replicas and message %q, want %q", got, "1 "+message)
	}
	if got := k.run(t, "get", "job", "demo-hook", "-n", ns, "-o",
		`jsonpath={.metadata.labels.e2e\.example\.com/revision} {.status.succeeded} {.status.conditions[?(@.type=="Complete")].status}`); got != hookRevision+" 1 True" {
		t.Errorf("hook Job demo-hook: revision, succeeded, Complete %q, want %q", got, hookRevision+" 1 True")
	}
}

// eventuallyCmd runs kubectl args until ok(trimmed stdout), for up to 60s.
func eventuallyCmd(t *testing.T, k *kubectl, what string, ok func(string) bool, args ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, errOut, err := k.exec("", args)
		out = strings.TrimSpace(out)
		if err == nil && ok(out) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 60s: kubectl %s: %v\n%s%s", what, strings.Join(args, " "), err, out, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
