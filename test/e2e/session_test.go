package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// TestKubectlSession runs the same scripted kubectl session against a
// fresh `tinykube server` with each kubectl: upstream's current release
// built from go.mod, and the machine's preinstalled one (older, 1.32).
//
// TINYKUBE_E2E_KUBECONFIG=PATH runs the session against that cluster
// instead (it must have no namespace e2e): pointed at the upstream
// baseline (../shared/tools/baseline), it checks the script's
// expectations against the real thing.
func TestKubectlSession(t *testing.T) {
	eachKubectl(t, "session", func(t *testing.T, k *kubectl, admin string) { session(t, k, admin) })
}

// eachKubectl runs run once per kubectl — upstream's current release built
// from go.mod, and the machine's preinstalled one — each against a fresh
// `tinykube server` (admin is then its admin user's name) or against the
// cluster TINYKUBE_E2E_KUBECONFIG names (admin "").
func eachKubectl(t *testing.T, what string, run func(t *testing.T, k *kubectl, admin string)) {
	var tk string
	if os.Getenv("TINYKUBE_E2E_KUBECONFIG") == "" {
		tk = buildTinykube(t)
	}
	forEachKubectl(t, func(t *testing.T, _ int, bin string) {
		kubeconfig, admin := os.Getenv("TINYKUBE_E2E_KUBECONFIG"), ""
		if kubeconfig == "" {
			kubeconfig, admin = startServer(t, tk).Kubeconfig, "tinykube-admin"
		}
		start := time.Now()
		run(t, newKubectl(t, bin, kubeconfig), admin)
		t.Logf("%s took %s", what, time.Since(start).Round(time.Millisecond))
	})
}

// forEachKubectl runs run in a subtest per kubectl: upstream's current
// release built from go.mod (i 0), then the machine's preinstalled one
// (i 1; skipped when there is none). bin is the kubectl's path.
func forEachKubectl(t *testing.T, run func(t *testing.T, i int, bin string)) {
	clients := []struct {
		name string
		bin  func(t *testing.T) string
	}{
		{"kubectl-go.mod", buildKubectl},
		{"kubectl-preinstalled", func(t *testing.T) string {
			p := preinstalledKubectl()
			if p == "" {
				t.Skip("no preinstalled kubectl")
			}
			return p
		}},
	}
	for i, c := range clients {
		t.Run(c.name, func(t *testing.T) { run(t, i, c.bin(t)) })
	}
}

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: e2e
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: e2e
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: e2e
data:
  a: "1"
---
apiVersion: v1
kind: Secret
metadata:
  name: sec
  namespace: e2e
stringData:
  password: hunter2
`

// session is the scripted session. Steps run in order and build on each
// other; each asserts on output and on the resulting stored state.
// admin is the expected user name of the kubeconfig ("" = any).
func session(t *testing.T, k *kubectl, admin string) {
	dir := t.TempDir()
	ns := []string{"-n", "e2e"}
	in := func(args ...string) []string { return append(args, ns...) }
	var dep appsv1.Deployment
	getDeployment := func(t *testing.T) *appsv1.Deployment {
		t.Helper()
		dep = appsv1.Deployment{}
		k.json(t, &dep, in("get", "deployment", "web", "-o", "json", "--show-managed-fields")...)
		return &dep
	}
	var cm corev1.ConfigMap
	getConfigMap := func(t *testing.T, name string) *corev1.ConfigMap {
		t.Helper()
		cm = corev1.ConfigMap{}
		k.json(t, &cm, in("get", "configmap", name, "-o", "json", "--show-managed-fields")...)
		return &cm
	}
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		t.Run(name, f)
	}

	step("version", func(t *testing.T) {
		out := k.run(t, "version")
		expectMatch(t, out, `(?m)^Client Version: v1\.\d+\.\d+`)
		expectMatch(t, out, `(?m)^Server Version: v1\.37\.`)
	})

	step("api-resources", func(t *testing.T) {
		rows := expectHeader(t, k.run(t, "api-resources"), "NAME SHORTNAMES APIVERSION NAMESPACED KIND")
		expectCells(t, row(t, rows, 0, "pods"), "pods", "po", "v1", "true", "Pod")
		expectCells(t, row(t, rows, 0, "deployments"), "deployments", "deploy", "apps/v1", "true", "Deployment")
		expectCells(t, row(t, rows, 0, "namespaces"), "namespaces", "ns", "v1", "false", "Namespace")
		// The rest of v1.37's GA surface.
		expectCells(t, row(t, rows, 0, "componentstatuses"), "componentstatuses", "cs", "v1", "false", "ComponentStatus")
		expectCells(t, row(t, rows, 0, "volumeattributesclasses"), "volumeattributesclasses", "vac", "storage.k8s.io/v1", "false", "VolumeAttributesClass")
		expectCells(t, row(t, rows, 0, "ipaddresses"), "ipaddresses", "ip", "networking.k8s.io/v1", "false", "IPAddress")
		// Every resource upstream v1.37.2 serves, as its kube-apiserver
		// lists them (testdata: `kubectl api-resources -o wide` against
		// it, columns joined by one space, sorted).
		want, err := os.ReadFile(filepath.Join("testdata", "upstream-api-resources-v1.37.2.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if got := apiResourcesWide(k.run(t, "api-resources", "-o", "wide", "--no-headers")); got != strings.TrimSpace(string(want)) {
			t.Errorf("kubectl api-resources -o wide differs from upstream v1.37.2's:\n%s", lineDiff(strings.TrimSpace(string(want)), got))
		}
		out := k.run(t, "api-resources", "--api-group=apps", "-o", "name")
		expectMatch(t, out, `(?m)^deployments\.apps$`)
		out = k.run(t, "api-resources", "--api-group=certificates.k8s.io", "-o", "name")
		expectMatch(t, out, `(?m)^podcertificaterequests\.certificates\.k8s\.io$`)
		expectMatch(t, out, `(?m)^clustertrustbundles\.certificates\.k8s\.io$`)
	})

	step("componentstatuses and the default ServiceCIDR", func(t *testing.T) {
		rows := expectHeader(t, k.run(t, "get", "cs"), "NAME STATUS MESSAGE ERROR")
		expectCells(t, row(t, rows, 0, "etcd-0"), "etcd-0", "Healthy", "ok")
		rows = expectHeader(t, k.run(t, "get", "servicecidrs"), "NAME CIDRS AGE")
		row(t, rows, 0, "kubernetes")
	})

	step("auth can-i --list", func(t *testing.T) {
		rows := expectHeader(t, k.run(t, "auth", "can-i", "--list"), "Resources Non-Resource URLs Resource Names Verbs")
		expectCells(t, row(t, rows, 0, "*.*"), "*.*", "[]", "[]", "[*]")
	})

	step("auth whoami", func(t *testing.T) {
		rows := expectHeader(t, k.run(t, "auth", "whoami"), "ATTRIBUTE VALUE")
		if r := row(t, rows, 0, "Username"); admin != "" {
			expectCells(t, r, "Username", admin)
		}
		groups := strings.Join(row(t, rows, 0, "Groups"), " ")
		if !strings.Contains(groups, "system:masters") {
			t.Fatalf("groups %q lack system:masters", groups)
		}
	})

	step("create namespace", func(t *testing.T) {
		expectMatch(t, k.run(t, "create", "namespace", "e2e"), `^namespace/e2e created\n$`)
		rows := expectHeader(t, k.run(t, "get", "ns", "e2e"), "NAME STATUS AGE")
		expectCells(t, row(t, rows, 0, "e2e"), "e2e", "Active")
	})

	manifestPath := writeFile(t, dir, "app.yaml", manifest, 0o644)
	step("apply", func(t *testing.T) {
		out := k.run(t, "apply", "-f", manifestPath)
		for _, want := range []string{"deployment.apps/web created", "service/web created", "configmap/cfg created", "secret/sec created"} {
			expectMatch(t, out, `(?m)^`+want+`$`)
		}
		if d := getDeployment(t); *d.Spec.Replicas != 2 || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.25" {
			t.Fatalf("stored deployment: replicas %d image %s", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
		}
		var sec corev1.Secret
		k.json(t, &sec, in("get", "secret", "sec", "-o", "json")...)
		if string(sec.Data["password"]) != "hunter2" || len(sec.StringData) != 0 {
			t.Fatalf("secret: data %q stringData %q; want stringData folded into data", sec.Data, sec.StringData)
		}
		rows := expectHeader(t, k.run(t, in("get", "secret", "sec")...), "NAME TYPE DATA AGE")
		expectCells(t, row(t, rows, 0, "sec"), "sec", "Opaque", "1")
	})

	step("apply validates strictly", func(t *testing.T) {
		bad := writeFile(t, dir, "bad.yaml", strings.Replace(manifest[:strings.Index(manifest, "---")], "replicas: 2", "replicaz: 2", 1), 0o644)
		k.fail(t, `unknown field "spec.replicaz"`, "apply", "-f", bad)
	})

	step("re-apply after edit", func(t *testing.T) {
		edited := strings.Replace(strings.Replace(manifest, `a: "1"`, `a: "2"`, 1), "replicas: 2", "replicas: 3", 1)
		writeFile(t, dir, "app.yaml", edited, 0o644)
		out := k.run(t, "apply", "-f", manifestPath)
		expectMatch(t, out, `(?m)^deployment.apps/web configured$`)
		expectMatch(t, out, `(?m)^configmap/cfg configured$`)
		expectMatch(t, out, `(?m)^service/web unchanged$`)
		if got := getConfigMap(t, "cfg").Data["a"]; got != "2" {
			t.Fatalf("configmap a = %q after re-apply, want 2", got)
		}
		if got := *getDeployment(t).Spec.Replicas; got != 3 {
			t.Fatalf("replicas = %d after re-apply, want 3", got)
		}
		out = k.run(t, "apply", "-f", manifestPath)
		expectMatch(t, out, `(?m)^deployment.apps/web unchanged$`)
		expectMatch(t, out, `(?m)^configmap/cfg unchanged$`)
	})

	step("diff and apply --dry-run=server", func(t *testing.T) {
		seven := writeFile(t, dir, "seven.yaml", strings.Replace(manifest, "replicas: 2", "replicas: 7", 1), 0o644)
		out, errOut, err := k.exec("", []string{"diff", "-f", seven})
		if code := exitCode(err); code != 1 {
			t.Fatalf("kubectl diff: exit %d (%v), want 1 (differences found)\nstderr:\n%s", code, err, errOut)
		}
		expectMatch(t, out, `(?m)^-  replicas: 3$`)
		expectMatch(t, out, `(?m)^\+  replicas: 7$`)
		out = k.run(t, "apply", "-f", seven, "--dry-run=server")
		expectMatch(t, out, `(?m)^deployment.apps/web configured \(server dry run\)$`)
		if got := *getDeployment(t).Spec.Replicas; got != 3 {
			t.Fatalf("server dry run stored replicas %d", got)
		}
	})

	step("apply --server-side", func(t *testing.T) {
		ssa := writeFile(t, dir, "ssa.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: e2e\ndata:\n  k: v\n", 0o644)
		expectMatch(t, k.run(t, "apply", "--server-side", "--field-manager=e2e-ssa", "-f", ssa), `^configmap/ssa serverside-applied\n$`)
		c := getConfigMap(t, "ssa")
		if c.Data["k"] != "v" || !hasManager(c.ManagedFields, "e2e-ssa", "Apply") {
			t.Fatalf("configmap ssa: data %v managedFields %+v", c.Data, c.ManagedFields)
		}
		// Taking over client-side-applied objects migrates their managers.
		out := k.run(t, "apply", "--server-side", "-f", manifestPath)
		expectMatch(t, out, `(?m)^deployment.apps/web serverside-applied$`)
		expectMatch(t, out, `(?m)^secret/sec serverside-applied$`)
		if d := getDeployment(t); !hasManager(d.ManagedFields, "kubectl", "Apply") {
			t.Fatalf("deployment managedFields lack kubectl Apply: %+v", d.ManagedFields)
		}
		out = k.run(t, in("get", "configmap", "ssa", "-o", "yaml", "--show-managed-fields")...)
		expectMatch(t, out, `(?m)^\s+manager: e2e-ssa$`)
	})

	step("get tables", func(t *testing.T) {
		rows := expectHeader(t, k.run(t, in("get", "deployments")...), "NAME READY UP-TO-DATE AVAILABLE AGE")
		// Counts depend on whether controllers run; the desired count does not.
		r := row(t, rows, 0, "web")
		expectMatch(t, strings.Join(r, " "), `^web \d+/3 \d+ \d+ \S+$`)
		rows = expectHeader(t, k.run(t, in("get", "svc")...), "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE")
		r = row(t, rows, 0, "web")
		expectCells(t, r, "web", "ClusterIP", "*", "<none>", "80/TCP")
		expectMatch(t, r[2], `^\d+\.\d+\.\d+\.\d+$`)
		rows = expectHeader(t, k.run(t, in("get", "configmaps")...), "NAME DATA AGE")
		expectCells(t, row(t, rows, 0, "cfg"), "cfg", "1")
		rows = expectHeader(t, k.run(t, in("get", "deploy", "-o", "wide")...),
			"NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR")
		r = row(t, rows, 0, "web")
		if got := strings.Join(r[len(r)-3:], " "); got != "c nginx:1.25 app=web" {
			t.Fatalf("wide columns: %q", got)
		}
		rows = expectHeader(t, k.run(t, in("get", "svc", "-o", "wide")...), "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR")
		expectCells(t, row(t, rows, 0, "web")[6:], "app=web")
	})

	step("get -o yaml|json|jsonpath|name", func(t *testing.T) {
		var d appsv1.Deployment
		if err := yaml.Unmarshal([]byte(k.run(t, in("get", "deploy", "web", "-o", "yaml")...)), &d); err != nil {
			t.Fatal(err)
		}
		if d.Kind != "Deployment" || d.APIVersion != "apps/v1" || d.Name != "web" || *d.Spec.Replicas != 3 || d.UID == "" || d.Generation < 1 {
			t.Fatalf("-o yaml: %+v", d)
		}
		if got := getDeployment(t); got.UID != d.UID {
			t.Fatalf("-o json uid %s, -o yaml %s", got.UID, d.UID)
		}
		if out := k.run(t, in("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}")...); out != "3" {
			t.Fatalf("jsonpath replicas = %q", out)
		}
		out := k.run(t, in("get", "configmaps", "-o", "name")...)
		for _, want := range []string{"configmap/cfg", "configmap/ssa"} {
			expectMatch(t, out, `(?m)^`+want+`$`)
		}
	})

	step("get -A, --show-labels, -l, --field-selector", func(t *testing.T) {
		k.run(t, "create", "configmap", "other", "-n", "default", "--from-literal=k=v")
		rows := expectHeader(t, k.run(t, "get", "configmaps", "-A"), "NAMESPACE NAME DATA AGE")
		expectCells(t, row(t, rows, 1, "cfg"), "e2e", "cfg", "1")
		expectCells(t, row(t, rows, 1, "other"), "default", "other", "1")

		rows = expectHeader(t, k.run(t, in("get", "deploy", "--show-labels")...), "NAME READY UP-TO-DATE AVAILABLE AGE LABELS")
		if r := row(t, rows, 0, "web"); r[len(r)-1] != "app=web" {
			t.Fatalf("labels column: %q", r)
		}
		out := k.run(t, in("get", "deploy,svc,cm", "-l", "app=web", "-o", "name")...)
		if got := strings.Fields(out); strings.Join(got, " ") != "deployment.apps/web service/web" {
			t.Fatalf("-l app=web: %q", got)
		}
		_, errOut, err := k.exec("", in("get", "deploy", "-l", "app=nope"))
		if err != nil || !strings.Contains(errOut, "No resources found in e2e namespace.") {
			t.Fatalf("-l app=nope: err %v stderr %q", err, errOut)
		}
		rows = expectHeader(t, k.run(t, in("get", "cm", "--field-selector", "metadata.name=ssa")...), "NAME DATA AGE")
		if len(rows) != 2 || rows[1][0] != "ssa" {
			t.Fatalf("--field-selector metadata.name=ssa: %q", rows)
		}
		out = k.run(t, "get", "cm", "-A", "--field-selector", "metadata.namespace=default", "-o", "name")
		if strings.Contains(out, "configmap/cfg") || !strings.Contains(out, "configmap/other") {
			t.Fatalf("--field-selector metadata.namespace=default: %q", out)
		}
	})

	step("get all", func(t *testing.T) {
		out := k.run(t, in("get", "all")...)
		expectMatch(t, out, `(?m)^service/web\s+ClusterIP\s`)
		expectMatch(t, out, `(?m)^deployment.apps/web\s+\d+/3\s`)
		if strings.Contains(out, "configmap/") {
			t.Fatalf("get all lists configmaps (not in category all):\n%s", out)
		}
	})

	step("describe deployment", func(t *testing.T) {
		out := k.run(t, in("describe", "deployment", "web")...)
		for _, re := range []string{`(?m)^Name:\s+web$`, `(?m)^Namespace:\s+e2e$`, `(?m)^Selector:\s+app=web$`,
			`(?m)^Replicas:\s+3 desired`, `(?m)^StrategyType:\s+RollingUpdate$`, `(?m)^\s+Image:\s+nginx:1.25$`} {
			expectMatch(t, out, re)
		}
	})

	step("label and annotate", func(t *testing.T) {
		expectMatch(t, k.run(t, in("label", "deployment", "web", "tier=frontend")...), `^deployment.apps/web labeled\n$`)
		gen := getDeployment(t).Generation
		expectMatch(t, k.run(t, in("annotate", "deployment", "web", "note=hello")...), `^deployment.apps/web annotated\n$`)
		d := getDeployment(t)
		if d.Generation <= gen {
			t.Fatalf("annotate: generation %d → %d; deployments bump it on annotation changes", gen, d.Generation)
		}
		if d.Labels["tier"] != "frontend" || d.Labels["app"] != "web" || d.Annotations["note"] != "hello" {
			t.Fatalf("labels %v annotations %v", d.Labels, d.Annotations)
		}
		k.run(t, in("label", "deployment", "web", "tier-")...)
		if _, ok := getDeployment(t).Labels["tier"]; ok {
			t.Fatal("label tier- did not remove the label")
		}
		k.fail(t, "already has a value", in("annotate", "deployment", "web", "note=again")...)
	})

	step("scale", func(t *testing.T) {
		expectMatch(t, k.run(t, in("scale", "deployment", "web", "--replicas=5")...), `^deployment.apps/web scaled\n$`)
		if got := *getDeployment(t).Spec.Replicas; got != 5 {
			t.Fatalf("replicas = %d after scale, want 5", got)
		}
	})

	step("wait", func(t *testing.T) {
		expectMatch(t, k.run(t, in("wait", "--for=jsonpath={.spec.replicas}=5", "deployment/web", "--timeout=30s")...),
			`^deployment.apps/web condition met\n$`)
		w := k.start(t, in("wait", "--for=jsonpath={.metadata.labels.ready}=yes", "deployment/web", "--timeout=30s")...)
		k.run(t, in("label", "deployment", "web", "ready=yes")...)
		w.expectLine(t, `^deployment.apps/web condition met$`, 30*time.Second)
	})

	step("patch", func(t *testing.T) {
		gen := getDeployment(t).Generation
		// Strategic merge: containers merge by name, so this adds env and
		// keeps the image.
		k.run(t, in("patch", "deployment", "web", "--type", "strategic", "-p",
			`{"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"E","value":"1"}]}]}}}}`)...)
		d := getDeployment(t)
		c := d.Spec.Template.Spec.Containers
		if len(c) != 1 || c[0].Image != "nginx:1.25" || len(c[0].Env) != 1 || c[0].Env[0].Value != "1" {
			t.Fatalf("after strategic patch: containers %+v", c)
		}
		if d.Generation <= gen {
			t.Fatalf("generation %d not bumped by a spec change (was %d)", d.Generation, gen)
		}
		expectMatch(t, k.run(t, in("patch", "configmap", "cfg", "--type", "merge", "-p", `{"data":{"b":"x"}}`)...), `^configmap/cfg patched\n$`)
		if d := getConfigMap(t, "cfg").Data; d["a"] != "2" || d["b"] != "x" {
			t.Fatalf("after merge patch: %v", d)
		}
		k.run(t, in("patch", "deployment", "web", "--type", "json", "-p", `[{"op":"replace","path":"/spec/replicas","value":4}]`)...)
		if got := *getDeployment(t).Spec.Replicas; got != 4 {
			t.Fatalf("replicas = %d after json patch, want 4", got)
		}
		// A failing test operation is 422 and changes nothing.
		k.fail(t, "The request is invalid", in("patch", "deployment", "web", "--type", "json", "-p", `[{"op":"test","path":"/spec/replicas","value":9}]`)...)
		if got := *getDeployment(t).Spec.Replicas; got != 4 {
			t.Fatalf("replicas = %d after a failed json patch, want 4", got)
		}
		out := k.run(t, in("patch", "configmap", "cfg", "--type", "merge", "-p", `{"data":{"b":"x"}}`)...)
		expectMatch(t, out, `^configmap/cfg patched \(no change\)\n$`)
	})

	step("set image", func(t *testing.T) {
		expectMatch(t, k.run(t, in("set", "image", "deployment/web", "c=nginx:1.27")...), `^deployment.apps/web image updated\n$`)
		if got := getDeployment(t).Spec.Template.Spec.Containers[0].Image; got != "nginx:1.27" {
			t.Fatalf("image = %q after set image", got)
		}
	})

	step("rollout restart", func(t *testing.T) {
		gen := getDeployment(t).Generation
		expectMatch(t, k.run(t, in("rollout", "restart", "deployment/web")...), `^deployment.apps/web restarted\n$`)
		d := getDeployment(t)
		if d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] == "" || d.Generation <= gen {
			t.Fatalf("after rollout restart: template annotations %v, generation %d → %d", d.Spec.Template.Annotations, gen, d.Generation)
		}
	})

	step("edit", func(t *testing.T) {
		editor := writeFile(t, dir, "editor.sh", "#!/bin/sh\nexec sed -i 's/a: \"2\"/a: \"9\"/' \"$1\"\n", 0o755)
		expectMatch(t, k.with("KUBE_EDITOR="+editor).run(t, in("edit", "configmap", "cfg")...), `^configmap/cfg edited\n$`)
		if got := getConfigMap(t, "cfg").Data["a"]; got != "9" {
			t.Fatalf("a = %q after edit, want 9", got)
		}
		// An editor that changes nothing cancels the edit.
		_, errOut, err := k.with("KUBE_EDITOR=true").exec("", in("edit", "configmap", "cfg"))
		if err != nil || !strings.Contains(errOut, "Edit cancelled, no changes made.") {
			t.Fatalf("no-op edit: err %v stderr %q", err, errOut)
		}
	})

	step("explain", func(t *testing.T) {
		out := k.run(t, "explain", "deployment.spec.strategy")
		expectMatch(t, out, `(?m)^KIND:\s+Deployment$`)
		expectMatch(t, out, `(?m)^FIELD:\s+strategy <DeploymentStrategy>$`)
		expectMatch(t, out, `(?m)^\s+rollingUpdate\s+<RollingUpdateDeployment>$`)
		expectMatch(t, out, `(?m)^\s+type\s+<string>$`)
	})

	step("get --watch", func(t *testing.T) {
		w := k.start(t, in("get", "configmap", "cfg", "--watch", "--show-labels")...)
		w.expectLine(t, `^NAME\s+DATA\s+AGE\s+LABELS$`, 30*time.Second)
		w.expectLine(t, `^cfg\s+2\s+\S+\s+<none>$`, 30*time.Second)
		k.run(t, in("label", "configmap", "cfg", "watched=yes")...)
		w.expectLine(t, `^cfg\s+2\s+\S+\s+watched=yes$`, 30*time.Second)
	})

	step("duplicate create", func(t *testing.T) {
		k.run(t, in("create", "configmap", "dup", "--from-literal=k=v")...)
		k.fail(t, `error: failed to create configmap: configmaps "dup" already exists`, in("create", "configmap", "dup", "--from-literal=k=v")...)
		errOut := k.fail(t, `Error from server (AlreadyExists): error when creating "`, "create", "-f", filepath.Join(dir, "ssa.yaml"))
		expectMatch(t, errOut, `configmaps "ssa" already exists`)
		k.fail(t, `Error from server (NotFound): configmaps "nope" not found`, in("get", "configmap", "nope")...)
	})

	step("delete --wait", func(t *testing.T) {
		expectMatch(t, k.run(t, in("delete", "configmap", "cfg", "--wait")...), `^configmap "cfg" deleted`)
		k.fail(t, "NotFound", in("get", "configmap", "cfg")...)
		expectMatch(t, k.run(t, in("delete", "deployment", "web", "--wait", "--timeout=30s")...), `^deployment.apps "web" deleted`)
		k.fail(t, "NotFound", in("get", "deployment", "web")...)
		out := k.run(t, in("delete", "-f", manifestPath, "--ignore-not-found", "--wait")...)
		expectMatch(t, out, `(?m)^service "web" deleted`)
		expectMatch(t, out, `(?m)^secret "sec" deleted`)
		for _, obj := range []string{"service/web", "secret/sec"} {
			k.fail(t, "NotFound", in("get", obj)...)
		}
	})
}

// hasManager reports whether managedFields has an entry of manager with
// operation op.
func hasManager(mf []metav1.ManagedFieldsEntry, manager, op string) bool {
	for _, e := range mf {
		if e.Manager == manager && string(e.Operation) == op {
			return true
		}
	}
	return false
}

// exitCode is the exit status of a finished command (0 when err is nil,
// -1 when it did not run).
func exitCode(err error) int {
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// apiResourcesWide normalizes `kubectl api-resources -o wide` output:
// columns joined by one space, rows sorted.
func apiResourcesWide(out string) string {
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Join(strings.Fields(l), " "))
	}
	slices.Sort(rows)
	return strings.Join(rows, "\n")
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
