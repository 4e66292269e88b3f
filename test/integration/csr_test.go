package integration

import (
	"encoding/base64"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestCertificateSigningRequests drives a CSR as kubectl certificate
// approve/deny and a signer would: the server records the requester,
// keeps the spec, lets /approval change only the conditions and keeps a
// decision, and lets /status set the certificate but not decide.
func TestCertificateSigningRequests(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := t.Context()
	csrs := s.Client.CertificatesV1().CertificateSigningRequests()
	request, err := base64.StdEncoding.DecodeString(csrRequest)
	if err != nil {
		t.Fatal(err)
	}
	newCSR := func(name string) *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: certificatesv1.CertificateSigningRequestSpec{Request: request, SignerName: "example.com/signer",
				Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}, Username: "mallory"},
			Status: certificatesv1.CertificateSigningRequestStatus{Certificate: []byte("ignored")}}
	}

	created, err := csrs.Create(ctx, newCSR("jane"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.Spec.Username == "mallory" || created.Spec.Username == "" || len(created.Spec.Groups) == 0 {
		t.Errorf("requester = %q %v, want the authenticated user", created.Spec.Username, created.Spec.Groups)
	}
	if len(created.Status.Certificate) != 0 {
		t.Errorf("status kept on create: %q", created.Status.Certificate)
	}

	// An update changes metadata only.
	up := created.DeepCopy()
	up.Spec.SignerName = "example.com/other"
	up.Labels = map[string]string{"team": "a"}
	if up, err = csrs.Update(ctx, up, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if up.Spec.SignerName != "example.com/signer" || up.Labels["team"] != "a" {
		t.Errorf("update: signerName %q labels %v", up.Spec.SignerName, up.Labels)
	}

	// /status cannot decide.
	st := up.DeepCopy()
	st.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{
		{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue}}
	if _, err := csrs.UpdateStatus(ctx, st, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("approve through /status: %v, want Invalid", err)
	}

	// /approval approves, changing nothing but the conditions.
	ap := up.DeepCopy()
	ap.Spec.SignerName = "example.com/other"
	ap.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved,
		Status: corev1.ConditionTrue, Reason: "KubectlApprove"}}
	approved, err := csrs.UpdateApproval(ctx, "jane", ap, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if approved.Spec.SignerName != "example.com/signer" || len(approved.Status.Conditions) != 1 {
		t.Errorf("approval: signerName %q conditions %v", approved.Spec.SignerName, approved.Status.Conditions)
	}
	if c := approved.Status.Conditions[0]; c.LastUpdateTime.IsZero() || c.LastTransitionTime.IsZero() {
		t.Errorf("approval condition times not set: %+v", c)
	}

	// A decision stands: denying an approved CSR is invalid, and so is
	// removing the approval.
	deny := approved.DeepCopy()
	deny.Status.Conditions = append(deny.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue})
	if _, err := csrs.UpdateApproval(ctx, "jane", deny, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("deny after approve: %v, want Invalid", err)
	}
	undo := approved.DeepCopy()
	undo.Status.Conditions = nil
	if _, err := csrs.UpdateApproval(ctx, "jane", undo, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("remove approval: %v, want Invalid", err)
	}

	// The signer sets the certificate through /status; the approval stays.
	signed := approved.DeepCopy()
	signed.Status.Certificate = []byte("not a certificate")
	if _, err := csrs.UpdateStatus(ctx, signed, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("garbage certificate: %v, want Invalid", err)
	}

	// Validation: a request that is not a PEM CSR, a bad signer name and
	// no usages are refused.
	bad := newCSR("bad")
	bad.Spec.Request, bad.Spec.SignerName, bad.Spec.Usages = []byte("nope"), "signer", nil
	_, err = csrs.Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("bad CSR: %v, want Invalid", err)
	}
	if causes := len(err.(apierrors.APIStatus).Status().Details.Causes); causes != 3 {
		t.Errorf("bad CSR: %d causes, want 3: %v", causes, err)
	}

	// spec.signerName is a selectable field.
	list, err := csrs.List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.signerName", "example.com/signer").String()})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list by signerName: %v %v", err, list)
	}
}
