package bootstraptoken

import "testing"

// TestDetachedSignature checks the signature against one made by
// k8s.io/cluster-bootstrap's jws.ComputeDetachedSignature (go-jose) for
// the same content and token, so kubeadm and tinykube accept each
// other's cluster-info signatures.
func TestDetachedSignature(t *testing.T) {
	const content = "apiVersion: v1\nkind: Config\n"
	got := DetachedSignature(content, "abcdef", "0123456789abcdef")
	if !SignatureValid(got, content, "abcdef", "0123456789abcdef") {
		t.Fatal("own signature refused")
	}
	if SignatureValid(got, content+" ", "abcdef", "0123456789abcdef") || SignatureValid(got, content, "abcdef", "0123456789abcdee") {
		t.Fatal("signature of other content or another secret accepted")
	}
	if want := upstreamSignature; got != want {
		t.Fatalf("signature %s, upstream's %s", got, want)
	}
}

// upstreamSignature is jws.ComputeDetachedSignature("apiVersion: v1\nkind:
// Config\n", "abcdef", "0123456789abcdef") from k8s.io/cluster-bootstrap
// v0.37.2 (go-jose v2.6.3), computed once outside the module.
const upstreamSignature = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..vH_kT4yiol-nrAWgjfCYqvum5wsKETXe0S7OOp1VgnE"
