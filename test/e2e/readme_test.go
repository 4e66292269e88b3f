package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/internal/controllertest"
)

// readmeDataDir is the --data-dir the README's quick start uses; the
// test runs the quick start on a fresh directory in its place.
const readmeDataDir = "/tmp/tinykube"

// readmeSection returns the lines of README.md from the heading "## name"
// to the next "## " heading.
func readmeSection(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			if in {
				break
			}
			in = strings.TrimSpace(strings.TrimPrefix(line, "## ")) == name
			continue
		}
		if in {
			out = append(out, line)
		}
	}
	if out == nil {
		t.Fatalf("README.md has no %q section", name)
	}
	return out
}

// shBlocks returns the commands of each ```sh block in lines (blank
// lines and comments left out).
func shBlocks(lines []string) [][]string {
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range lines {
		switch {
		case !in && strings.TrimSpace(line) == "```sh":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				cur = append(cur, l)
			}
		}
	}
	return blocks
}

// statusRow is one row of the README's status table.
type statusRow struct{ what, status, check string }

func statusTable(t *testing.T) []statusRow {
	t.Helper()
	var rows []statusRow
	for _, line := range readmeSection(t, "Status") {
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("status row %q: want 3 cells", line)
		}
		r := statusRow{strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])}
		if r.check == "Check" {
			continue // the header
		}
		rows = append(rows, r)
	}
	return rows
}

// quickStart is what the README's quick start left running.
type quickStart struct {
	rc      *rest.Config
	client  kubernetes.Interface
	server  *exec.Cmd
	exited  chan error
	stderr  *bytes.Buffer // the server's whole output, once it exited
	dataDir string
}

// TestReadmeQuickStart follows the README's quick start literally on a
// fresh data dir: builds bin/tinykube with the command it shows (in the
// module root, where it says), starts the server with the command it
// shows, checks that the server prints the export line the README shows,
// and runs every kubectl command the README shows. Then it checks each
// row of the README's status table against that server, and that a
// clean shutdown (SIGINT) exits 0 and logs no error.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tinykube and kubectl and runs a server")
	}
	root := moduleRoot(t)
	blocks := shBlocks(readmeSection(t, "Quick start"))
	if len(blocks) != 2 {
		t.Fatalf("quick start: %d sh blocks, want 2 (build and start; then the other shell)", len(blocks))
	}
	if len(blocks[0]) != 2 {
		t.Fatalf("quick start's first block: %q, want the build and the server command", blocks[0])
	}
	dataDir := filepath.Join(t.TempDir(), "tinykube") // fresh: does not exist yet
	subst := func(s string) string { return strings.ReplaceAll(s, readmeDataDir, dataDir) }

	// 1. The build, as written, in the module root.
	build := strings.Fields(blocks[0][0])
	if build[0] != "go" || build[1] != "build" {
		t.Fatalf("quick start's first command %q is not a go build", blocks[0][0])
	}
	cmd := exec.Command(goTool(t), build[1:]...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", blocks[0][0], err, out)
	}

	// 2. The server, as written, on the fresh data dir; on a free port,
	// since other tests (and other servers on the machine) may hold 6443.
	args := strings.Fields(subst(blocks[0][1]))
	qs := &quickStart{dataDir: dataDir, exited: make(chan error, 1), stderr: &bytes.Buffer{}}
	qs.server = exec.Command(filepath.Join(root, args[0]), append(args[1:], "--secure-port", "0", "--unsafe-no-fsync")...)
	qs.server.Dir = root
	pr, pw := io.Pipe()
	qs.server.Stdout, qs.server.Stderr = pw, pw // the export line is on stdout, the log on stderr
	if err := qs.server.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { err := qs.server.Wait(); pw.Close(); qs.exited <- err }()
	t.Cleanup(func() {
		qs.server.Process.Kill() //nolint:errcheck // stopped already unless the test failed early
	})
	exportLine := make(chan string, 1)
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			qs.stderr.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "export KUBECONFIG=") {
				exportLine <- sc.Text()
			}
		}
		io.Copy(qs.stderr, pr) //nolint:errcheck
	}()
	var printed string
	select {
	case printed = <-exportLine:
	case err := <-qs.exited:
		<-stderrDone
		t.Fatalf("server exited before printing the export line: %v\n%s", err, qs.stderr)
	case <-time.After(90 * time.Second):
		t.Fatal("server printed no export line within 90s")
	}

	// 3. The other shell: the export line the README shows is the one
	// the server printed; then every kubectl command, with kubectl on PATH.
	shell := blocks[1]
	if want := subst(shell[0]); printed != want {
		t.Errorf("server printed %q; the README says %q", printed, want)
	}
	kubeconfig := strings.TrimPrefix(printed, "export KUBECONFIG=")
	binDir := t.TempDir()
	if err := os.Symlink(buildKubectl(t), filepath.Join(binDir, "kubectl")); err != nil {
		t.Fatal(err)
	}
	env := []string{"KUBECONFIG=" + kubeconfig, "HOME=" + t.TempDir(), "PATH=" + binDir + ":" + os.Getenv("PATH"), "LANG=C"}
	for _, line := range shell[1:] {
		if !strings.HasPrefix(line, "kubectl ") {
			t.Fatalf("quick start: %q is not a kubectl command; teach this test to run it", line)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		c := exec.CommandContext(ctx, "sh", "-c", line)
		c.Env = env
		out, err := c.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		t.Logf("$ %s\n%s", line, out)
	}

	// 4. The status table, row by row, against this server.
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	qs.rc = rc
	if qs.client, err = kubernetes.NewForConfig(rc); err != nil {
		t.Fatal(err)
	}
	rows := statusTable(t)
	seen := map[string]bool{}
	for _, r := range rows {
		check, ok := statusChecks[r.check]
		if !ok {
			t.Errorf("status row %q names check %q, which readme_test.go does not have", r.what, r.check)
			continue
		}
		seen[r.check] = true
		t.Run("status/"+r.check, func(t *testing.T) {
			if err := check(t, qs, r.status); err != nil {
				t.Errorf("README status row %q (%s): %v", r.what, r.status, err)
			}
		})
	}
	for name := range statusChecks {
		if !seen[name] {
			t.Errorf("check %q has no row in the README's status table", name)
		}
	}

	// 5. A clean shutdown: Ctrl-C, exit 0, and no error on the way out.
	qs.server.Process.Signal(syscall.SIGINT) //nolint:errcheck
	select {
	case err := <-qs.exited:
		<-stderrDone
		if err != nil {
			t.Errorf("server after SIGINT: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop within 30s of SIGINT")
	}
	checkCleanLog(t, qs.stderr.String())
}

// checkCleanLog fails t for any line of a clean run's log that reports
// an error (ERROR level, "error", "refused").
func checkCleanLog(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "error") || strings.Contains(l, "refused") || strings.Contains(l, "level=warn") {
			t.Errorf("clean run logged: %s", line)
		}
	}
}

// wantStatus fails unless the row says status: a check knows what it
// checks for.
func wantStatus(got, want string) error {
	if got != want {
		return fmt.Errorf("row says %q; this check checks for %q: update the row or the check", got, want)
	}
	return nil
}

// statusChecks are the checks the README's status table names.
var statusChecks = map[string]func(t *testing.T, qs *quickStart, status string) error{
	"discovery": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "works"); err != nil {
			return err
		}
		lists, err := qs.client.Discovery().ServerPreferredResources()
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, l := range lists {
			for _, r := range l.APIResources {
				have[r.Name] = true
			}
		}
		for _, r := range []string{"pods", "deployments", "jobs", "customresourcedefinitions", "leases", "ingresses",
			"validatingadmissionpolicies", "resourceclaims", "horizontalpodautoscalers", "poddisruptionbudgets"} {
			if !have[r] {
				return fmt.Errorf("%s not in discovery", r)
			}
		}
		return nil
	},
	"deployment": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "works"); err != nil {
			return err
		}
		// The quick start's `kubectl create deployment web` ran to a
		// finished rollout; its pods are bound to nodes and Running.
		pods, err := qs.client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return err
		}
		if len(pods.Items) != 2 {
			return fmt.Errorf("%d web pods, want 2", len(pods.Items))
		}
		for _, p := range pods.Items {
			if p.Spec.NodeName == "" || p.Status.Phase != corev1.PodRunning {
				return fmt.Errorf("pod %s: node %q, phase %s", p.Name, p.Spec.NodeName, p.Status.Phase)
			}
		}
		return nil
	},
	"simulated-nodes": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "simulated"); err != nil {
			return err
		}
		nodes, err := qs.client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(nodes.Items) != 2 {
			return fmt.Errorf("%d nodes, want the quick start's 2", len(nodes.Items))
		}
		for _, n := range nodes.Items {
			ready := false
			for _, c := range n.Status.Conditions {
				ready = ready || c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
			}
			if !ready {
				return fmt.Errorf("node %s not Ready", n.Name)
			}
		}
		return nil
	},
	"job": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "simulated"); err != nil {
			return err
		}
		job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "readme-job"}, Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
		if _, err := qs.client.BatchV1().Jobs("default").Create(context.Background(), job, metav1.CreateOptions{}); err != nil {
			return err
		}
		controllertest.EventuallyWithin(t, "job complete", 60*time.Second, func(ctx context.Context) (bool, error) {
			j, err := qs.client.BatchV1().Jobs("default").Get(ctx, job.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, c := range j.Status.Conditions {
				if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		return nil
	},
	"crd": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "works"); err != nil {
			return err
		}
		ext, err := apiextensionsclient.NewForConfig(qs.rc)
		if err != nil {
			return err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: "widgets.readme.example.com"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "readme.example.com", Scope: apiextensionsv1.NamespaceScoped,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"size": {Type: "integer"}}},
						}}}}},
			},
		}
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(context.Background(), crd, metav1.CreateOptions{}); err != nil {
			return err
		}
		dyn, err := dynamic.NewForConfig(qs.rc)
		if err != nil {
			return err
		}
		gvr := schema.GroupVersionResource{Group: "readme.example.com", Version: "v1", Resource: "widgets"}
		widget := func(size any) *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "readme.example.com/v1", "kind": "Widget",
				"metadata": map[string]any{"generateName": "w-"}, "spec": map[string]any{"size": size}}}
		}
		controllertest.EventuallyWithin(t, "a widget is created", 30*time.Second, func(ctx context.Context) (bool, error) {
			_, err := dyn.Resource(gvr).Namespace("default").Create(ctx, widget(int64(3)), metav1.CreateOptions{})
			return err == nil, nil
		})
		if _, err := dyn.Resource(gvr).Namespace("default").Create(context.Background(), widget("big"), metav1.CreateOptions{}); err == nil {
			return fmt.Errorf("a widget with spec.size \"big\" was accepted; the schema says integer")
		}
		return nil
	},
	"health": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "works"); err != nil {
			return err
		}
		return checkHealthBodies(qs.client.Discovery().RESTClient())
	},
	"version": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "works"); err != nil {
			return err
		}
		v, err := qs.client.Discovery().ServerVersion()
		if err != nil {
			return err
		}
		if v.Major != "1" || v.GitVersion == "" {
			return fmt.Errorf("/version: %+v", v)
		}
		return nil
	},
	"authorization": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "works"); err != nil {
			return err
		}
		// RBAC: a user without a binding may not delete nodes; the
		// admin (system:masters) may.
		review := func(user string, groups ...string) (bool, error) {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: user, Groups: groups,
				ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "delete", Resource: "nodes"},
			}}
			got, err := qs.client.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
			return err == nil && got.Status.Allowed, err
		}
		if allowed, err := review("someone-without-any-binding", "system:authenticated"); err != nil || allowed {
			return fmt.Errorf("a user with no RBAC binding may delete nodes (%v): no authorization", err)
		}
		if allowed, err := review("tinykube-admin", "system:masters"); err != nil || !allowed {
			return fmt.Errorf("system:masters may not delete nodes (%v)", err)
		}
		return nil
	},
	"webhooks": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "not yet"); err != nil {
			return err
		}
		// Not there yet: a webhook that cannot be reached, with
		// failurePolicy Fail, does not stop a create.
		fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
		url := "https://127.0.0.1:1/validate"
		cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "readme-unreachable"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name: "unreachable.readme.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
				Rules: []admissionregistrationv1.RuleWithOperations{{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
				}},
				FailurePolicy: &fail, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			}},
		}
		ctx := context.Background()
		if _, err := qs.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
			return err
		}
		defer qs.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, cfg.Name, metav1.DeleteOptions{}) //nolint:errcheck
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "readme-webhook"}}
		if _, err := qs.client.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create under an unreachable failing webhook: %v (webhooks are called now?)", err)
		}
		return nil
	},
	"dns": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "works"); err != nil {
			return err
		}
		// The cluster DNS answers where kube-system/kube-dns's
		// EndpointSlice says, with the kubernetes Service's ClusterIP for
		// its name, and NXDOMAIN for a Service that does not exist.
		ctx := context.Background()
		slices, err := qs.client.DiscoveryV1().EndpointSlices("kube-system").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=kube-dns"})
		if err != nil {
			return err
		}
		var addr string
		for _, sl := range slices.Items {
			for _, p := range sl.Ports {
				if p.Protocol != nil && *p.Protocol == corev1.ProtocolUDP && p.Port != nil && len(sl.Endpoints) > 0 && len(sl.Endpoints[0].Addresses) > 0 {
					addr = net.JoinHostPort(sl.Endpoints[0].Addresses[0], fmt.Sprint(*p.Port))
				}
			}
		}
		if addr == "" {
			return fmt.Errorf("kube-system/kube-dns has no UDP endpoint: %+v", slices.Items)
		}
		svc, err := qs.client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			return err
		}
		query := func(name string) (*mdns.Msg, error) {
			m := new(mdns.Msg)
			m.SetQuestion(name, mdns.TypeA)
			in, _, err := new(mdns.Client).Exchange(m, addr)
			return in, err
		}
		in, err := query("kubernetes.default.svc.cluster.local.")
		if err != nil {
			return fmt.Errorf("DNS at %s: %v", addr, err)
		}
		if len(in.Answer) != 1 || in.Answer[0].(*mdns.A).A.String() != svc.Spec.ClusterIP {
			return fmt.Errorf("kubernetes.default.svc.cluster.local: %v, want A %s", in.Answer, svc.Spec.ClusterIP)
		}
		if in, err = query("no-such-service.default.svc.cluster.local."); err != nil || in.Rcode != mdns.RcodeNameError {
			return fmt.Errorf("no-such-service: %v %v, want NXDOMAIN", in, err)
		}
		return nil
	},
	"metrics": func(t *testing.T, qs *quickStart, status string) error {
		if err := wantStatus(status, "not yet"); err != nil {
			return err
		}
		groups, err := qs.client.Discovery().ServerGroups()
		if err != nil {
			return err
		}
		for _, g := range groups.Groups {
			if g.Name == "metrics.k8s.io" {
				return fmt.Errorf("metrics.k8s.io is served now")
			}
		}
		return nil
	},
}

// healthBody matches one verbose health line.
var healthLine = regexp.MustCompile(`^\[\+\][a-z0-9/-]+ ok$`)

// checkHealthBodies checks /livez and /readyz as upstream answers them:
// "ok"; with ?verbose a "[+]check ok" line per check (ping, log, etcd
// among them) and "livez check passed"; /readyz/<check> one check.
func checkHealthBodies(c rest.Interface) error {
	ctx := context.Background()
	for _, name := range []string{"livez", "readyz", "healthz"} {
		b, err := c.Get().AbsPath("/" + name).DoRaw(ctx)
		if err != nil || string(b) != "ok" {
			return fmt.Errorf("/%s: %q, %v", name, b, err)
		}
		b, err = c.Get().AbsPath("/"+name).Param("verbose", "").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("/%s?verbose: %v", name, err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if last := lines[len(lines)-1]; last != name+" check passed" {
			return fmt.Errorf("/%s?verbose ends %q, want %q:\n%s", name, last, name+" check passed", b)
		}
		checks := lines[:len(lines)-1]
		for _, l := range checks {
			if !healthLine.MatchString(l) {
				return fmt.Errorf("/%s?verbose line %q is not \"[+]check ok\"", name, l)
			}
		}
		body := string(b)
		for _, want := range []string{"[+]ping ok\n", "[+]log ok\n", "[+]etcd ok\n"} {
			if !strings.Contains(body, want) {
				return fmt.Errorf("/%s?verbose has no %q:\n%s", name, want, b)
			}
		}
		if name == "readyz" && !strings.Contains(body, "[+]shutdown ok\n") {
			return fmt.Errorf("/readyz?verbose has no shutdown check:\n%s", b)
		}
		for _, l := range checks {
			check := strings.TrimSuffix(strings.TrimPrefix(l, "[+]"), " ok")
			b, err := c.Get().AbsPath("/" + name + "/" + check).DoRaw(ctx)
			if err != nil || string(b) != "ok" {
				return fmt.Errorf("/%s/%s: %q, %v", name, check, b, err)
			}
		}
		if _, err := c.Get().AbsPath("/" + name + "/no-such-check").DoRaw(ctx); err == nil {
			return fmt.Errorf("/%s/no-such-check answered", name)
		}
	}
	return nil
}
