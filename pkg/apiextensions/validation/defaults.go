package validation

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// SetDefaults applies upstream's apiextensions.k8s.io/v1 defaulting to crd
// — singular = lower(kind), listKind = kind+"List", conversion strategy
// None, a conversion webhook service's port 443, and status.storedVersions
// = the storage version when it is empty — with the defaulter generated
// beside the types.
func SetDefaults(crd *apiextensionsv1.CustomResourceDefinition) {
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(crd)
}
