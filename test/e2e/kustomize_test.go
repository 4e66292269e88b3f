package e2e

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKubectlApplyKustomize runs `kubectl apply -k` (kustomize built into
// kubectl) on testdata/kustomize/app: a configMapGenerator (a literal and a
// file) and a secretGenerator, whose objects get content-hash names that
// kustomize writes into the Deployment's references. It checks the objects
// and references, that `kubectl diff -k` (server-side dry run) sees no
// change, then changes a literal: diff shows it, apply creates a new
// ConfigMap and rolls the Deployment to it; `kubectl delete -k` removes
// it all.
func TestKubectlApplyKustomize(t *testing.T) {
	eachKubectl(t, "kustomize session", func(t *testing.T, k *kubectl, _ string) { kustomizeSession(t, k) })
}

var (
	generatedConfigMap = regexp.MustCompile(`configmap/(app-config-[a-z0-9]{10}) created`)
	generatedSecret    = regexp.MustCompile(`secret/(app-secret-[a-z0-9]{10}) created`)
)

func kustomizeSession(t *testing.T, k *kubectl) {
	dir := t.TempDir()
	src := filepath.Join("testdata", "kustomize", "app")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const ns = "kustomize-e2e"

	out := k.run(t, "apply", "-k", dir)
	cm, secret := submatch(t, generatedConfigMap, out), submatch(t, generatedSecret, out)
	for _, want := range []string{"namespace/kustomize-e2e created", "deployment.apps/app created"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl apply -k: no %q in\n%s", want, out)
		}
	}

	if got := k.run(t, "get", "configmap", cm, "-n", ns, "-o", `jsonpath={.data.greeting}|{.data.settings\.properties}`); got != "hello|color=blue\nsize=large\n" {
		t.Errorf("ConfigMap %s data: %q", cm, got)
	}
	got := k.run(t, "get", "secret", secret, "-n", ns, "-o", "jsonpath={.type} {.data.password}")
	if typ, pw, _ := strings.Cut(got, " "); typ != "Opaque" || pw != base64.StdEncoding.EncodeToString([]byte("hunter2")) {
		t.Errorf("Secret %s: type and data.password %q", secret, got)
	}
	for _, obj := range []string{"namespace/" + ns, "configmap/" + cm, "secret/" + secret, "deployment/app"} {
		if got := k.run(t, "get", obj, "-n", ns, "-o", `jsonpath={.metadata.labels.app\.kubernetes\.io/part-of}`); got != "kustomize-e2e" {
			t.Errorf("%s: label app.kubernetes.io/part-of %q, want kustomize-e2e", obj, got)
		}
	}
	checkDeploymentRefs(t, k, ns, cm, secret)

	// Nothing changed: diff (a server-side dry-run apply) is empty.
	if out, errOut, err := k.exec("", []string{"diff", "-k", dir}); err != nil || out != "" {
		t.Fatalf("kubectl diff -k right after apply: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}

	// A new literal: a new ConfigMap name, and the Deployment follows it.
	kust := filepath.Join(dir, "kustomization.yaml")
	b, err := os.ReadFile(kust)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kust, []byte(strings.Replace(string(b), "greeting=hello", "greeting=bonjour", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := k.exec("", []string{"diff", "-k", dir})
	if err == nil || !strings.Contains(out, "+  greeting: bonjour") {
		t.Errorf("kubectl diff -k after the change: err %v (want exit status 1), stdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	out = k.run(t, "apply", "-k", dir)
	cm2 := submatch(t, generatedConfigMap, out)
	if cm2 == cm {
		t.Errorf("ConfigMap name %s did not change with its data", cm2)
	}
	for _, want := range []string{"secret/" + secret + " unchanged", "deployment.apps/app configured"} {
		if !strings.Contains(out, want) {
			t.Errorf("second kubectl apply -k: no %q in\n%s", want, out)
		}
	}
	checkDeploymentRefs(t, k, ns, cm2, secret)
	if got := k.run(t, "get", "configmap", cm2, "-n", ns, "-o", "jsonpath={.data.greeting}"); got != "bonjour" {
		t.Errorf("ConfigMap %s greeting %q, want bonjour", cm2, got)
	}
	if got := k.run(t, "get", "deployment", "app", "-n", ns, "-o", "jsonpath={.metadata.generation}"); got != "2" {
		t.Errorf("Deployment generation %s after the change, want 2", got)
	}

	out = k.run(t, "delete", "-k", dir)
	for _, want := range []string{`namespace "kustomize-e2e" deleted`, `configmap "` + cm2 + `" deleted`, `deployment.apps "app" deleted`} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl delete -k: no %q in\n%s", want, out)
		}
	}
}

// checkDeploymentRefs checks that the Deployment refers to the generated
// ConfigMap cm and Secret secret by their hashed names.
func checkDeploymentRefs(t *testing.T, k *kubectl, ns, cm, secret string) {
	t.Helper()
	got := k.run(t, "get", "deployment", "app", "-n", ns, "-o",
		`jsonpath={.spec.template.spec.containers[0].envFrom[0].configMapRef.name} {.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name} {.spec.template.spec.volumes[0].configMap.name}`)
	if want := cm + " " + secret + " " + cm; got != want {
		t.Errorf("Deployment references (envFrom, secretKeyRef, volume): %q, want %q", got, want)
	}
}

func submatch(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, s)
	}
	return m[1]
}
