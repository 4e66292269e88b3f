package bootstraptoken

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
)

// InformerFactory is an informer factory on the token Secrets alone
// (kube-system, type bootstrap.kubernetes.io/token), for the controllers
// that watch them: the bootstrap signer and the token cleaner.
func InformerFactory(c kubernetes.Interface) informers.SharedInformerFactory {
	return informers.NewSharedInformerFactoryWithOptions(c, 0,
		informers.WithNamespace(Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("type", string(SecretType)).String()
		}))
}
