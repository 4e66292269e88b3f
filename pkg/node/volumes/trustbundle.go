package volumes

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// trustBundle is a clusterTrustBundle projection's content: the bundle
// named, or every bundle of the signer whose labels match the selector
// (a nil selector matches none, an empty one all), as deduplicated PEM
// certificates in a stable order. Finding nothing is an error unless the
// projection is optional; then there is no file (ok false).
func (m *Manager) trustBundle(ctx context.Context, src *corev1.ClusterTrustBundleProjection) ([]byte, bool, error) {
	bundles := m.cfg.Client.CertificatesV1().ClusterTrustBundles()
	var pems []string
	switch {
	case src.Name != nil:
		b, err := bundles.Get(ctx, *src.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if isTrue(src.Optional) {
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("clustertrustbundle %q not found", *src.Name)
		}
		if err != nil {
			return nil, false, err
		}
		pems = append(pems, b.Spec.TrustBundle)
	case src.SignerName != nil:
		if src.LabelSelector != nil {
			sel, err := metav1.LabelSelectorAsSelector(src.LabelSelector)
			if err != nil {
				return nil, false, fmt.Errorf("clusterTrustBundle labelSelector: %w", err)
			}
			list, err := bundles.List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
			if err != nil {
				return nil, false, err
			}
			for _, b := range list.Items {
				if b.Spec.SignerName == *src.SignerName {
					pems = append(pems, b.Spec.TrustBundle)
				}
			}
		}
	default:
		return nil, false, fmt.Errorf("clusterTrustBundle projection names neither a bundle nor a signer")
	}
	seen := map[string]bool{}
	var blocks []string
	for _, p := range pems {
		rest := []byte(p)
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			enc := string(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes}))
			if !seen[enc] {
				seen[enc] = true
				blocks = append(blocks, enc)
			}
		}
	}
	if len(blocks) == 0 {
		if isTrue(src.Optional) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("no certificates found for clusterTrustBundle projection %s", src.Path)
	}
	sort.Strings(blocks)
	var out bytes.Buffer
	for _, b := range blocks {
		out.WriteString(b)
	}
	return out.Bytes(), true, nil
}
