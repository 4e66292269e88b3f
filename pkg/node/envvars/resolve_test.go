package envvars_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node/envvars"
)

// TestResolve resolves a container's env against a real API server:
// envFrom with prefixes (relaxed names kept), env values
// with $(VAR) references, every valueFrom kind, optional references to
// missing objects, and the service variables.
func TestResolve(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	controllertest.CreateNamespace(t, s.Client, "app")
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Client.CoreV1().ConfigMaps("app").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"},
		Data: map[string]string{"COLOR": "blue", "SIZE": "10", "1.dotted-key": "x"}}, metav1.CreateOptions{}))
	must(s.Client.CoreV1().Secrets("app").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		Data: map[string][]byte{"PASSWORD": []byte("s3cret")}}, metav1.CreateOptions{}))
	must(s.Client.CoreV1().Services("app").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "my-db"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "sql", Port: 5432}, {Name: "metrics", Port: 9090, Protocol: corev1.ProtocolUDP}}}},
		metav1.CreateOptions{}))
	must(s.Client.CoreV1().Services("app").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "headless"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{}))
	svcList, err := s.Client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var services []*corev1.Service
	for i := range svcList.Items {
		services = append(services, &svcList.Items[i])
	}
	var dbIP, kubeIP string
	for _, svc := range services {
		switch svc.Namespace + "/" + svc.Name {
		case "app/my-db":
			dbIP = svc.Spec.ClusterIP
		case "default/kubernetes":
			kubeIP = svc.Spec.ClusterIP
		}
	}

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "app", UID: "u-1", Labels: map[string]string{"app": "web", "tier": "front"},
			Annotations: map[string]string{"note": `say "hi"`}},
		Spec: corev1.PodSpec{NodeName: "n1", ServiceAccountName: "builder", Containers: []corev1.Container{{
			Name: "c",
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
			},
			EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
				{Prefix: "S_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}},
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Optional: ptr.To(true)}},
			},
			Env: []corev1.EnvVar{
				{Name: "GREETING", Value: "$(COLOR) $(LATER) $$(COLOR) $(MY_DB_SERVICE_HOST)"},
				{Name: "LATER", Value: "late"},
				{Name: "SIZE", Value: "20"}, // replaces envFrom's, in its place
				{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "NS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
				{Name: "UID", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.uid"}}},
				{Name: "TIER", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['tier']"}}},
				{Name: "LABELS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}}},
				{Name: "NOTE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['note']"}}},
				{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
				{Name: "SA", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.serviceAccountName"}}},
				{Name: "HOST_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIP"}}},
				{Name: "POD_IPS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIPs"}}},
				{Name: "CPU_REQ_M", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu", Divisor: resource.MustParse("1m")}}},
				{Name: "CPU_REQ", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu"}}},
				{Name: "CPU_LIM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
				{Name: "MEM_LIM_MI", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
				{Name: "CM_KEY", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "COLOR"}}},
				{Name: "SECRET_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "PASSWORD"}}},
				{Name: "OPT_MISSING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "NOPE", Optional: ptr.To(true)}}},
				{Name: "KUBERNETES_SERVICE_PORT", Value: "override"},
			},
		}}},
	}
	res, err := envvars.Resolve(ctx, envvars.Input{
		Pod: pod, Container: &pod.Spec.Containers[0], PodIPs: []string{"10.1.0.5", "fd00::5"}, HostIPs: []string{"172.18.0.2"},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi")},
		Services:    services, Getter: envvars.ClientGetter{Client: s.Client},
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	got := map[string]string{}
	for _, kv := range res.Env {
		if _, dup := got[kv.Key]; dup {
			t.Errorf("%s defined twice", kv.Key)
		}
		got[kv.Key] = string(kv.Value)
		names = append(names, kv.Key)
	}
	want := map[string]string{
		"COLOR": "blue", "SIZE": "20", "S_PASSWORD": "s3cret",
		"GREETING": "blue $(LATER) $(COLOR) " + dbIP, "LATER": "late",
		"POD": "web", "NS": "app", "UID": "u-1", "TIER": "front", "LABELS": "app=\"web\"\ntier=\"front\"",
		"NOTE": `say "hi"`, "NODE": "n1", "SA": "builder", "HOST_IP": "172.18.0.2", "POD_IPS": "10.1.0.5,fd00::5",
		"CPU_REQ_M": "250", "CPU_REQ": "1", "CPU_LIM": "8", "MEM_LIM_MI": "128",
		"CM_KEY": "blue", "SECRET_KEY": "s3cret",
		"MY_DB_SERVICE_HOST": dbIP, "MY_DB_SERVICE_PORT": "5432", "MY_DB_SERVICE_PORT_SQL": "5432", "MY_DB_SERVICE_PORT_METRICS": "9090",
		"MY_DB_PORT": "tcp://" + dbIP + ":5432", "MY_DB_PORT_5432_TCP": "tcp://" + dbIP + ":5432", "MY_DB_PORT_5432_TCP_PROTO": "tcp",
		"MY_DB_PORT_5432_TCP_PORT": "5432", "MY_DB_PORT_5432_TCP_ADDR": dbIP, "MY_DB_PORT_9090_UDP": "udp://" + dbIP + ":9090",
		"KUBERNETES_SERVICE_HOST": kubeIP, "KUBERNETES_SERVICE_PORT": "override",
		// Relaxed names, as upstream since 1.34: any printable ASCII but =.
		"1.dotted-key": "x",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, absent := range []string{"OPT_MISSING", "HEADLESS_SERVICE_HOST"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s should not be set", absent)
		}
	}
	// envFrom first, then env in order (SIZE keeps envFrom's place), then
	// the service variables.
	order := strings.Join(names, " ")
	if !strings.HasPrefix(order, "1.dotted-key COLOR SIZE S_PASSWORD GREETING LATER POD") || !strings.Contains(order, "KUBERNETES_SERVICE_PORT KUBERNETES_SERVICE_HOST") {
		t.Errorf("order: %s", order)
	}
	if len(res.Skipped) != 0 {
		t.Errorf("skipped = %q", res.Skipped)
	}

	// enableServiceLinks: false drops the namespace's services but not
	// the kubernetes Service.
	pod.Spec.EnableServiceLinks = ptr.To(false)
	res, err = envvars.Resolve(ctx, envvars.Input{Pod: pod, Container: &pod.Spec.Containers[0], Services: services, Getter: envvars.ClientGetter{Client: s.Client}})
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, kv := range res.Env {
		names = append(names, kv.Key)
	}
	if order := strings.Join(names, " "); strings.Contains(order, "MY_DB_SERVICE_HOST") || !strings.Contains(order, "KUBERNETES_SERVICE_HOST") {
		t.Errorf("without service links: %s", order)
	}

	// Missing sources that are not optional are errors naming them.
	for _, tc := range []struct {
		env  corev1.EnvVar
		from []corev1.EnvFromSource
		want string
	}{
		{env: corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k"}}}, want: `configmap "absent" not found`},
		{env: corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "NOPE"}}}, want: "couldn't find key NOPE in ConfigMap app/cfg"},
		{env: corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "NOPE"}}}, want: "couldn't find key NOPE in Secret app/creds"},
		{from: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}}}},
			want: `secret "gone" not found`},
		{env: corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.bogus"}}},
			want: "unsupported fieldPath"},
	} {
		c := corev1.Container{Name: "c", EnvFrom: tc.from}
		if tc.env.Name != "" {
			c.Env = []corev1.EnvVar{tc.env}
		}
		_, err := envvars.Resolve(ctx, envvars.Input{Pod: pod, Container: &c, Getter: envvars.ClientGetter{Client: s.Client}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error = %v, want it to contain %q", err, tc.want)
		}
	}
}
