package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestResourcesV137 covers the rest of upstream v1.37's GA surface:
// discovery as kubectl api-resources shows it, the objects the server
// publishes at start (the default ServiceCIDR, the authentication
// ConfigMap), ComponentStatuses, SelfSubjectRulesReviews, IPAddresses,
// and the validation that matters for ServiceCIDRs,
// VolumeAttributesClasses, PodCertificateRequests and podCertificate
// projected volumes.
func TestResourcesV137(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	cs := s.Client

	t.Run("discovery", func(t *testing.T) {
		want := map[string]struct {
			namespaced bool
			short      string
			verbs      string
		}{
			"v1/componentstatuses":                                 {false, "cs", "get,list"},
			"storage.k8s.io/v1/csistoragecapacities":               {true, "", "create,delete,deletecollection,get,list,patch,update,watch"},
			"storage.k8s.io/v1/volumeattributesclasses":            {false, "vac", "create,delete,deletecollection,get,list,patch,update,watch"},
			"networking.k8s.io/v1/ipaddresses":                     {false, "ip", "create,delete,deletecollection,get,list,patch,update,watch"},
			"networking.k8s.io/v1/servicecidrs":                    {false, "", "create,delete,deletecollection,get,list,patch,update,watch"},
			"networking.k8s.io/v1/servicecidrs/status":             {false, "", "get,patch,update"},
			"certificates.k8s.io/v1/clustertrustbundles":           {false, "", "create,delete,deletecollection,get,list,patch,update,watch"},
			"certificates.k8s.io/v1/podcertificaterequests":        {true, "", "create,delete,deletecollection,get,list,patch,update,watch"},
			"certificates.k8s.io/v1/podcertificaterequests/status": {true, "", "get,patch,update"},
			"authorization.k8s.io/v1/selfsubjectrulesreviews":      {false, "", "create"},
		}
		_, lists, err := cs.Discovery().ServerGroupsAndResources()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, l := range lists {
			for _, r := range l.APIResources {
				key := l.GroupVersion + "/" + r.Name
				w, ok := want[key]
				if !ok {
					continue
				}
				seen[key] = true
				got := fmt.Sprint(r.Namespaced, strings.Join(r.ShortNames, ","), strings.Join(r.Verbs, ","))
				if exp := fmt.Sprint(w.namespaced, w.short, w.verbs); got != exp {
					t.Errorf("%s: namespaced/short/verbs %s, want %s", key, got, exp)
				}
			}
		}
		for key := range want {
			if !seen[key] {
				t.Errorf("discovery lacks %s", key)
			}
		}
	})

	t.Run("default ServiceCIDR", func(t *testing.T) {
		sc, err := cs.NetworkingV1().ServiceCIDRs().Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ready := meta.FindStatusCondition(sc.Status.Conditions, networkingv1.ServiceCIDRConditionReady)
		if fmt.Sprint(sc.Spec.CIDRs) != "[10.0.0.0/24]" || ready == nil || ready.Status != metav1.ConditionTrue {
			t.Errorf("default ServiceCIDR %v, conditions %+v", sc.Spec.CIDRs, sc.Status.Conditions)
		}
		// The range is immutable; a single-stack one may gain the other family.
		sc.Spec.CIDRs = []string{"10.1.0.0/24"}
		if _, err := cs.NetworkingV1().ServiceCIDRs().Update(ctx, sc, metav1.UpdateOptions{}); !hasCause(err, "spec.cidrs[0]") {
			t.Errorf("changing the range: %v", err)
		}
		sc.Spec.CIDRs = []string{"10.0.0.0/24", "10.2.0.0/24"}
		if _, err := cs.NetworkingV1().ServiceCIDRs().Update(ctx, sc, metav1.UpdateOptions{}); !hasCause(err, "spec.cidrs") {
			t.Errorf("two IPv4 ranges: %v", err)
		}
		sc.Spec.CIDRs = []string{"10.0.0.0/24", "fd00:10::/108"}
		if _, err := cs.NetworkingV1().ServiceCIDRs().Update(ctx, sc, metav1.UpdateOptions{}); err != nil {
			t.Errorf("adding an IPv6 range: %v", err)
		}
	})

	t.Run("authentication ConfigMap", func(t *testing.T) {
		cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ca := s.RESTConfig.CAData
		if len(ca) == 0 && s.RESTConfig.CAFile != "" {
			if ca, err = os.ReadFile(s.RESTConfig.CAFile); err != nil {
				t.Fatal(err)
			}
		}
		if cm.Data["client-ca-file"] == "" || cm.Data["client-ca-file"] != string(ca) {
			t.Errorf("client-ca-file %q, want the server's CA", cm.Data["client-ca-file"])
		}
	})

	t.Run("componentstatuses", func(t *testing.T) {
		list, err := cs.CoreV1().ComponentStatuses().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range list.Items {
			names = append(names, c.Name)
		}
		slices.Sort(names)
		if fmt.Sprint(names) != "[controller-manager etcd-0 scheduler]" {
			t.Errorf("componentstatuses %v", names)
		}
		etcd, err := cs.CoreV1().ComponentStatuses().Get(ctx, "etcd-0", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(etcd.Conditions) != 1 || etcd.Conditions[0].Type != corev1.ComponentHealthy ||
			etcd.Conditions[0].Status != corev1.ConditionTrue || etcd.Conditions[0].Message != "ok" {
			t.Errorf("etcd-0 %+v", etcd.Conditions)
		}
		if _, err := cs.CoreV1().ComponentStatuses().Get(ctx, "nope", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("get of an unknown component: %v", err)
		}
		table := getTable(t, s, "/api/v1/componentstatuses/etcd-0")
		if fmt.Sprint(columnNames(table)) != "[Name Status Message Error]" || len(table.Rows) != 1 ||
			fmt.Sprint(table.Rows[0].Cells) != "[etcd-0 Healthy ok ]" {
			t.Errorf("table %v %v", columnNames(table), table.Rows)
		}
	})

	t.Run("selfsubjectrulesreviews", func(t *testing.T) {
		r, err := cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
			Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The admin (system:masters): everything, first from the
		// system:masters authorizer, then from RBAC's cluster-admin and
		// the system:authenticated roles.
		st := r.Status
		if len(st.ResourceRules) < 2 || len(st.NonResourceRules) < 2 || st.Incomplete ||
			fmt.Sprintf("%+v %+v", st.ResourceRules[0], st.NonResourceRules[0]) != "{Verbs:[*] APIGroups:[*] Resources:[*] ResourceNames:[]} {Verbs:[*] NonResourceURLs:[*]}" {
			t.Errorf("rules %+v", st)
		}
		_, err = cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{}, metav1.CreateOptions{})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("review without a namespace: %v", err)
		}
	})

	t.Run("ipaddresses", func(t *testing.T) {
		ips := cs.NetworkingV1().IPAddresses()
		ip := &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: "10.0.0.20"},
			Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: "default", Name: "web"}}}
		if _, err := ips.Create(ctx, ip, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		bad := ip.DeepCopy()
		bad.Name = "not-an-ip"
		if _, err := ips.Create(ctx, bad, metav1.CreateOptions{}); !hasCause(err, "metadata.name") {
			t.Errorf("create named not-an-ip: %v", err)
		}
		bad.Name, bad.Spec.ParentRef = "10.0.0.21", nil
		if _, err := ips.Create(ctx, bad, metav1.CreateOptions{}); !hasCause(err, "spec.parentRef") {
			t.Errorf("create without parentRef: %v", err)
		}
		got, err := ips.Get(ctx, "10.0.0.20", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got.Spec.ParentRef.Name = "other"
		if _, err := ips.Update(ctx, got, metav1.UpdateOptions{}); !hasCause(err, "spec.parentRef") {
			t.Errorf("changing parentRef: %v", err)
		}
		table := getTable(t, s, "/apis/networking.k8s.io/v1/ipaddresses/10.0.0.20")
		if fmt.Sprint(columnNames(table)) != "[Name ParentRef]" || len(table.Rows) != 1 ||
			fmt.Sprint(table.Rows[0].Cells) != "[10.0.0.20 services/default/web]" {
			t.Errorf("table %v %v", columnNames(table), table.Rows)
		}
		if err := ips.Delete(ctx, "10.0.0.20", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("volumeattributesclasses", func(t *testing.T) {
		vacs := cs.StorageV1().VolumeAttributesClasses()
		vac, err := vacs.Create(ctx, &storagev1.VolumeAttributesClass{ObjectMeta: metav1.ObjectMeta{Name: "gold"},
			DriverName: "csi.example.com", Parameters: map[string]string{"iops": "3000"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		vac.Parameters["iops"] = "9000"
		if _, err := vacs.Update(ctx, vac, metav1.UpdateOptions{}); !hasCause(err, "parameters") {
			t.Errorf("changing parameters: %v", err)
		}
		if _, err := vacs.Create(ctx, &storagev1.VolumeAttributesClass{ObjectMeta: metav1.ObjectMeta{Name: "empty"},
			DriverName: "csi.example.com"}, metav1.CreateOptions{}); !hasCause(err, "parameters") {
			t.Errorf("create without parameters: %v", err)
		}
	})

	t.Run("podcertificaterequests", func(t *testing.T) {
		createNamespace(t, s, "pcr")
		stub, err := base64.StdEncoding.DecodeString(stubPKCS10)
		if err != nil {
			t.Fatal(err)
		}
		pcrs := cs.CertificatesV1().PodCertificateRequests("pcr")
		pcr := &certificatesv1.PodCertificateRequest{ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: certificatesv1.PodCertificateRequestSpec{SignerName: "kubernetes.io/pods", PodName: "web", PodUID: "p",
				ServiceAccountName: "default", ServiceAccountUID: "s", NodeName: "n1", NodeUID: "n",
				MaxExpirationSeconds: ptr(int32(2 * 86400)), StubPKCS10Request: stub}}
		// kubernetes.io signers issue for at most a day.
		if _, err := pcrs.Create(ctx, pcr, metav1.CreateOptions{}); !hasCause(err, "spec.maxExpirationSeconds") {
			t.Errorf("two days from a kubernetes.io signer: %v", err)
		}
		pcr.Spec.MaxExpirationSeconds = ptr(int32(86400))
		created, err := pcrs.Create(ctx, pcr, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Issuing needs a certificate; denying ends the request for good.
		issued := created.DeepCopy()
		issued.Status.Conditions = []metav1.Condition{{Type: certificatesv1.PodCertificateRequestConditionTypeIssued,
			Status: metav1.ConditionTrue, Reason: "Issued", LastTransitionTime: metav1.Now()}}
		if _, err := pcrs.UpdateStatus(ctx, issued, metav1.UpdateOptions{}); !hasCause(err, "status.certificateChain") {
			t.Errorf("issued without a certificate: %v", err)
		}
		denied := created.DeepCopy()
		denied.Status.Conditions = []metav1.Condition{{Type: certificatesv1.PodCertificateRequestConditionTypeDenied,
			Status: metav1.ConditionTrue, Reason: "Policy", LastTransitionTime: metav1.Now()}}
		denied, err = pcrs.UpdateStatus(ctx, denied, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		denied.Status.Conditions[0].Reason = "Changed"
		if _, err := pcrs.UpdateStatus(ctx, denied, metav1.UpdateOptions{}); !hasCause(err, "status") {
			t.Errorf("changing a denied request: %v", err)
		}
		// A signer issues a certificate for the stub request's key; status
		// patches of every kind reach the status (the conformance spec's
		// steps).
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
		if err != nil {
			t.Fatal(err)
		}
		notBefore := time.Now().Add(-time.Minute).Truncate(time.Second)
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(7),
			Subject: pkix.Name{CommonName: "web"}, NotBefore: notBefore, NotAfter: notBefore.Add(time.Hour)},
			&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}}, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		good := pcr.DeepCopy()
		good.Name, good.Spec.StubPKCS10Request = "issued", csr
		good, err = pcrs.Create(ctx, good, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nb, na := metav1.NewTime(notBefore), metav1.NewTime(notBefore.Add(time.Hour))
		good.Status = certificatesv1.PodCertificateRequestStatus{
			CertificateChain: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
			NotBefore:        &nb, NotAfter: &na, BeginRefreshAt: ptr(metav1.NewTime(notBefore.Add(15 * time.Minute))),
			Conditions: []metav1.Condition{{Type: certificatesv1.PodCertificateRequestConditionTypeIssued,
				Status: metav1.ConditionTrue, Reason: "E2E", LastTransitionTime: metav1.Now()}}}
		if _, err := pcrs.UpdateStatus(ctx, good, metav1.UpdateOptions{}); err != nil {
			t.Errorf("issuing a certificate for the requested key: %v", err)
		}
		other := pcr.DeepCopy()
		other.Name = "other-key"
		if other, err = pcrs.Create(ctx, other, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		other.Status = good.Status
		if _, err := pcrs.UpdateStatus(ctx, other, metav1.UpdateOptions{}); !hasCause(err, "status.certificateChain") {
			t.Errorf("issuing a certificate for another key: %v", err)
		}
		// Signers list their requests, kubelets those of their node, by field.
		for sel, want := range map[string]int{"spec.signerName=kubernetes.io/pods": 3, "spec.nodeName=n1": 3,
			"spec.podName=web": 3, "spec.nodeName=n2": 0} {
			l, err := pcrs.List(ctx, metav1.ListOptions{FieldSelector: sel})
			if err != nil || len(l.Items) != want {
				t.Errorf("list by %s: %v items, err %v; want %d", sel, len(l.Items), err, want)
			}
		}
		table := getTable(t, s, "/apis/certificates.k8s.io/v1/namespaces/pcr/podcertificaterequests/web")
		if len(table.Rows) != 1 || fmt.Sprint(table.Rows[0].Cells[:6]) != "[web web default n1 kubernetes.io/pods Denied]" {
			t.Errorf("table %v %v", columnNames(table), table.Rows)
		}
	})

	t.Run("clustertrustbundles by signer", func(t *testing.T) {
		// kube-controller-manager lists the bundles of one signer.
		l, err := cs.CertificatesV1().ClusterTrustBundles().List(ctx, metav1.ListOptions{FieldSelector: "spec.signerName=example.com/none"})
		if err != nil || len(l.Items) != 0 {
			t.Errorf("list by spec.signerName: %v, %v", l, err)
		}
		if _, err := cs.CertificatesV1().ClusterTrustBundles().List(ctx, metav1.ListOptions{FieldSelector: "spec.podName=x"}); !apierrors.IsBadRequest(err) {
			t.Errorf("list by an unsupported field: %v, want 400", err)
		}
	})

	t.Run("podCertificate volumes", func(t *testing.T) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "certs", Namespace: "default"}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: "nginx"}},
			Volumes: []corev1.Volume{{Name: "certs", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{PodCertificate: &corev1.PodCertificateProjection{
					SignerName: "example.com/pods", KeyType: "ED25519", MaxExpirationSeconds: ptr(int32(600)),
					CredentialBundlePath: "bundle.pem"}}}}}}},
		}}
		_, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if !hasCause(err, "spec.volumes[0].projected.sources[0].podCertificate.maxExpirationSeconds") {
			t.Errorf("maxExpirationSeconds 600: %v", err)
		}
		pc := pod.Spec.Volumes[0].Projected.Sources[0].PodCertificate
		pc.MaxExpirationSeconds, pc.KeyType = ptr(int32(3600)), "DSA"
		_, err = cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if !hasCause(err, "spec.volumes[0].projected.sources[0].podCertificate.keyType") {
			t.Errorf("key type DSA: %v", err)
		}
		pc.KeyType = "ECDSAP256"
		if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Errorf("valid podCertificate volume: %v", err)
		}
	})
}

// getTable GETs path as a Table.
func getTable(t *testing.T, s *testserver.Server, path string) metav1.Table {
	t.Helper()
	cfg := rest.CopyConfig(s.RESTConfig)
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rc.Get().AbsPath(path).SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(t.Context()).Raw()
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	return table
}

func columnNames(t metav1.Table) []string {
	var out []string
	for _, c := range t.ColumnDefinitions {
		out = append(out, c.Name)
	}
	return out
}
