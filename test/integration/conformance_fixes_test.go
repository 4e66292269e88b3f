package integration

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestConformanceFixes holds one case per behaviour the upstream
// [sig-api-machinery] conformance specs found missing or wrong; each case
// names the spec it stands for. The cases share one server.
func TestConformanceFixes(t *testing.T) {
	s := testserver.Start(t, "")
	cases := []struct {
		name string // the upstream spec this case stands for
		run  func(t *testing.T, ctx context.Context, s *testserver.Server)
	}{
		{"chunking: continue listing after the original version was compacted", testInconsistentContinue},
		{"Table transformation: 406 for a backend which does not implement metadata; access reviews", testAccessReviews},
		{"FlowSchema, PriorityLevelConfiguration, admission policy, StorageVersionMigration, Ingress, IngressClass, RuntimeClass, CSIDriver, CSINode, VolumeAttachment and CertificateSigningRequest API operations: discovery", testServedGroups},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, context.Background(), s) })
	}
}

// testInconsistentContinue: a continue token whose revision was compacted
// is 410 Expired carrying a fresh token in metadata.continue; listing with
// it resumes after the last item the client saw, at the latest revision.
func testInconsistentContinue(t *testing.T, ctx context.Context, s *testserver.Server) {
	const ns, total, limit = "chunking", 10, 3
	createNamespace(t, s, ns)
	pts := s.Client.CoreV1().PodTemplates(ns)
	podTemplate := func(name string) *corev1.PodTemplate {
		return &corev1.PodTemplate{ObjectMeta: metav1.ObjectMeta{Name: name},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}}
	}
	for i := range total {
		if _, err := pts.Create(ctx, podTemplate(fmt.Sprintf("template-%04d", i)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := pts.List(ctx, metav1.ListOptions{Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	// Move past the page's revision, then compact it away.
	last, err := pts.Create(ctx, podTemplate("zz-later"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rev, _ := strconv.ParseInt(last.ResourceVersion, 10, 64)
	if _, err := s.EtcdClient().Compact(ctx, rev); err != nil {
		t.Fatal(err)
	}

	_, err = pts.List(ctx, metav1.ListOptions{Limit: limit, Continue: first.Continue})
	if !apierrors.IsResourceExpired(err) {
		t.Fatalf("list with compacted continue: want 410 Expired, got %v", err)
	}
	token := err.(apierrors.APIStatus).Status().Continue
	if token == "" {
		t.Fatal("410 for a compacted continue token carries no metadata.continue")
	}
	page, err := pts.List(ctx, metav1.ListOptions{Limit: limit, Continue: token})
	if err != nil {
		t.Fatalf("list with the inconsistent token: %v", err)
	}
	if page.ResourceVersion == first.ResourceVersion {
		t.Errorf("inconsistent page read the compacted revision %s", page.ResourceVersion)
	}
	var names []string
	for _, it := range page.Items {
		names = append(names, it.Name)
	}
	want := []string{"template-0003", "template-0004", "template-0005"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("inconsistent page = %v, want %v", names, want)
	}
	// 11 objects now: 3 seen, 3 in this page, 5 left.
	if page.RemainingItemCount == nil || *page.RemainingItemCount != 5 {
		t.Errorf("remainingItemCount = %v, want 5", page.RemainingItemCount)
	}
}

// testServedGroups: the API groups the conformance specs drive through
// discovery first are served, with the status subresources they patch.
// (TestCRUDTyped covers create/get/list/watch/patch/update/delete.)
func testServedGroups(t *testing.T, ctx context.Context, s *testserver.Server) {
	want := map[string][]string{
		"admissionregistration.k8s.io/v1": {"validatingadmissionpolicies", "validatingadmissionpolicies/status",
			"validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
			"validatingwebhookconfigurations", "mutatingwebhookconfigurations"},
		"flowcontrol.apiserver.k8s.io/v1": {"flowschemas", "flowschemas/status",
			"prioritylevelconfigurations", "prioritylevelconfigurations/status"},
		"storagemigration.k8s.io/v1": {"storageversionmigrations", "storageversionmigrations/status"},
		"networking.k8s.io/v1": {"ingresses", "ingresses/status", "ingressclasses", "networkpolicies",
			"ipaddresses", "servicecidrs", "servicecidrs/status"},
		"node.k8s.io/v1": {"runtimeclasses"},
		"storage.k8s.io/v1": {"csidrivers", "csinodes", "volumeattachments", "volumeattachments/status",
			"csistoragecapacities", "volumeattributesclasses"},
		"certificates.k8s.io/v1": {"certificatesigningrequests", "certificatesigningrequests/approval",
			"certificatesigningrequests/status", "clustertrustbundles", "podcertificaterequests", "podcertificaterequests/status"},
		"resource.k8s.io/v1": {"deviceclasses", "devicetaintrules", "devicetaintrules/status", "resourceclaims",
			"resourceclaims/status", "resourceclaimtemplates", "resourceslices"},
		"authorization.k8s.io/v1": {"selfsubjectrulesreviews"},
	}
	groups, err := s.Client.Discovery().ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			listed[v.GroupVersion] = true
		}
	}
	for gv, resources := range want {
		if !listed[gv] {
			t.Errorf("/apis does not list %s", gv)
		}
		list, err := s.Client.Discovery().ServerResourcesForGroupVersion(gv)
		if err != nil {
			t.Errorf("%s: %v", gv, err)
			continue
		}
		have := map[string]bool{}
		for _, r := range list.APIResources {
			have[r.Name] = true
		}
		for _, r := range resources {
			if !have[r] {
				t.Errorf("%s does not list %s", gv, r)
			}
		}
	}
}

// testAccessReviews: authorization.k8s.io/v1 access reviews answer in
// status (the server's authorizer allows everyone today), reject a spec
// with neither attribute set, and a Table request is 406 as upstream.
func testAccessReviews(t *testing.T, ctx context.Context, s *testserver.Server) {
	authz := s.Client.AuthorizationV1()
	get := &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Namespace: "default"}
	cases := []struct {
		name        string
		create      func() (authorizationv1.SubjectAccessReviewStatus, error)
		wantAllowed bool
		wantInvalid bool
	}{
		{"self, resource", func() (authorizationv1.SubjectAccessReviewStatus, error) {
			r, err := authz.SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: get}}, metav1.CreateOptions{})
			if err != nil {
				return authorizationv1.SubjectAccessReviewStatus{}, err
			}
			return r.Status, nil
		}, true, false},
		{"self, non-resource", func() (authorizationv1.SubjectAccessReviewStatus, error) {
			r, err := authz.SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/", Verb: "get"}}}, metav1.CreateOptions{})
			if err != nil {
				return authorizationv1.SubjectAccessReviewStatus{}, err
			}
			return r.Status, nil
		}, true, false},
		{"self, no attributes", func() (authorizationv1.SubjectAccessReviewStatus, error) {
			_, err := authz.SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{}, metav1.CreateOptions{})
			return authorizationv1.SubjectAccessReviewStatus{}, err
		}, false, true},
		{"subject", func() (authorizationv1.SubjectAccessReviewStatus, error) {
			r, err := authz.SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
				Spec: authorizationv1.SubjectAccessReviewSpec{User: "jane", ResourceAttributes: get}}, metav1.CreateOptions{})
			if err != nil {
				return authorizationv1.SubjectAccessReviewStatus{}, err
			}
			return r.Status, nil
		}, false, false}, // RBAC: jane has no binding
		{"subject in system:masters", func() (authorizationv1.SubjectAccessReviewStatus, error) {
			r, err := authz.SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
				Spec: authorizationv1.SubjectAccessReviewSpec{User: "jane", Groups: []string{"system:masters"}, ResourceAttributes: get}}, metav1.CreateOptions{})
			if err != nil {
				return authorizationv1.SubjectAccessReviewStatus{}, err
			}
			return r.Status, nil
		}, true, false},
		{"subject without user or group", func() (authorizationv1.SubjectAccessReviewStatus, error) {
			_, err := authz.SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
				Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: get}}, metav1.CreateOptions{})
			return authorizationv1.SubjectAccessReviewStatus{}, err
		}, false, true},
		{"local", func() (authorizationv1.SubjectAccessReviewStatus, error) {
			r, err := authz.LocalSubjectAccessReviews("default").Create(ctx, &authorizationv1.LocalSubjectAccessReview{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default"},
				Spec:       authorizationv1.SubjectAccessReviewSpec{User: "jane", ResourceAttributes: get}}, metav1.CreateOptions{})
			if err != nil {
				return authorizationv1.SubjectAccessReviewStatus{}, err
			}
			return r.Status, nil
		}, false, false}, // RBAC: jane has no binding
	}
	for _, c := range cases {
		st, err := c.create()
		switch {
		case c.wantInvalid:
			if !apierrors.IsInvalid(err) {
				t.Errorf("%s: want 422 Invalid, got %v", c.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case st.Allowed != c.wantAllowed:
			t.Errorf("%s: allowed = %v, want %v (%+v)", c.name, st.Allowed, c.wantAllowed, st)
		}
	}

	// As the conformance spec asks: Table output of a review is 406.
	sar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/", Verb: "get"}}}
	err := authz.RESTClient().Post().Resource("selfsubjectaccessreviews").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Body(sar).Do(ctx).Error()
	if st, ok := err.(apierrors.APIStatus); !ok || st.Status().Code != 406 {
		t.Errorf("Table from selfsubjectaccessreviews: want 406, got %v", err)
	}
}
