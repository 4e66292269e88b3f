package podcertificaterequest

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// NewStrategy returns the strategy for the podcertificaterequests
// resource r: the default one (status owned by /status) with upstream's
// selectable fields.
func NewStrategy(r api.Resource) generic.Default {
	return generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		s := obj.(*certificatesv1.PodCertificateRequest).Spec
		return fields.Set{"spec.signerName": s.SignerName, "spec.podName": s.PodName, "spec.nodeName": string(s.NodeName)}
	}}
}
