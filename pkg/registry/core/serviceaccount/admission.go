package serviceaccount

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilrand "k8s.io/apimachinery/pkg/util/rand"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Names and paths of the token volume, as upstream.
const (
	DefaultServiceAccountName = "default"
	// VolumeNamePrefix starts the projected volume's name:
	// kube-api-access-<5 random characters>.
	VolumeNamePrefix = "kube-api-access-"
	// MountPath is where every container finds token, ca.crt and namespace.
	MountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	// RootCAConfigMap is published in every namespace by the rootcacert
	// controller.
	RootCAConfigMap = "kube-root-ca.crt"
	// EnforceMountableSecretsAnnotation on a service account limits its
	// pods to the secrets it lists.
	EnforceMountableSecretsAnnotation = "kubernetes.io/enforce-mountable-secrets"
	mirrorPodAnnotation               = "kubernetes.io/config.mirror"
)

// Admission is upstream's ServiceAccount admission plugin, on pod creates
// (updates and subresources are left alone):
//
//   - spec.serviceAccountName defaults to "default";
//   - the service account must exist, or the pod is Forbidden. The default
//     account is waited for a little (up to ten tries, 100–200 ms apart),
//     since the serviceaccount controller creates it right after its
//     namespace, as upstream does;
//   - unless spec.automountServiceAccountToken — or, if the pod leaves it
//     unset, the account's — is false, a kube-api-access-xxxxx projected
//     volume (token, kube-root-ca.crt's ca.crt, the namespace) is added
//     and mounted read-only at MountPath in every container and init
//     container that has nothing mounted there yet;
//   - spec.imagePullSecrets, if empty, are the account's;
//   - an account annotated kubernetes.io/enforce-mountable-secrets=true
//     limits the pod's secret volumes, secret env and pull secrets to
//     those it lists;
//   - mirror pods (kubernetes.io/config.mirror) are not changed and may
//     not name an account, secrets or token projections.
type Admission struct {
	ServiceAccounts *generic.Store
}

// Admit admits a pod create (the ServiceAccount plugin of
// pkg/registry/admission.go).
func (s Admission) Admit(ctx context.Context, a *generic.Attributes) error {
	pod, ok := a.Object.(*corev1.Pod)
	if !ok || a.Operation != generic.Create || a.Subresource != "" || a.Resource.GVR().GroupResource() != (schema.GroupResource{Resource: "pods"}) {
		return nil
	}
	forbidden := func(err error) error {
		return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, pod.Name, err)
	}
	if _, mirror := pod.Annotations[mirrorPodAnnotation]; mirror {
		return validateMirrorPod(pod, forbidden)
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultServiceAccountName
		pod.Spec.DeprecatedServiceAccount = DefaultServiceAccountName //nolint:staticcheck // kept in sync, as upstream
	}
	sa, err := s.get(ctx, a.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		return forbidden(fmt.Errorf("error looking up service account %s/%s: %w", a.Namespace, pod.Spec.ServiceAccountName, err))
	}
	if automount(sa, pod) {
		mountToken(pod)
	}
	if len(pod.Spec.ImagePullSecrets) == 0 && len(sa.ImagePullSecrets) > 0 {
		pod.Spec.ImagePullSecrets = make([]corev1.LocalObjectReference, len(sa.ImagePullSecrets))
		for i, s := range sa.ImagePullSecrets {
			pod.Spec.ImagePullSecrets[i].Name = s.Name
		}
	}
	if enforce, _ := strconv.ParseBool(sa.Annotations[EnforceMountableSecretsAnnotation]); enforce {
		if err := limitSecretReferences(sa, pod); err != nil {
			return forbidden(err)
		}
	}
	return nil
}

// get reads the account from the watch cache (confirmed against etcd on a
// miss), retrying a missing default account.
func (s Admission) get(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	tries := 1
	if name == DefaultServiceAccountName {
		tries = 10
	}
	interval := time.Duration(100+rand.IntN(100)) * time.Millisecond
	for i := 0; ; i++ {
		obj, err := s.ServiceAccounts.GetFromCache(ctx, ns, name)
		if err == nil {
			return obj.(*corev1.ServiceAccount), nil
		}
		if !apierrors.IsNotFound(err) || i+1 >= tries {
			if apierrors.IsNotFound(err) {
				return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "serviceaccount"}, name)
			}
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// automount: the pod's choice wins, then the account's; the default is to
// mount.
func automount(sa *corev1.ServiceAccount, pod *corev1.Pod) bool {
	if p := pod.Spec.AutomountServiceAccountToken; p != nil {
		return *p
	}
	if a := sa.AutomountServiceAccountToken; a != nil {
		return *a
	}
	return true
}

// mountToken adds the token volume (or reuses a kube-api-access-* volume
// the pod already has) and mounts it in every container without a mount
// at MountPath.
func mountToken(pod *corev1.Pod) {
	name, has := "", false
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, VolumeNamePrefix) {
			name, has = v.Name, true
			break
		}
	}
	if name == "" {
		name = VolumeNamePrefix + utilrand.String(5)
	}
	mount := corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: MountPath}
	needed := false
	add := func(cs []corev1.Container) {
		for i := range cs {
			if !mountsAt(cs[i].VolumeMounts, MountPath) {
				cs[i].VolumeMounts = append(cs[i].VolumeMounts, mount)
				needed = true
			}
		}
	}
	add(pod.Spec.InitContainers)
	add(pod.Spec.Containers)
	if needed && !has {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name,
			VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}})
	}
}

func mountsAt(ms []corev1.VolumeMount, path string) bool {
	for _, m := range ms {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

// TokenVolumeSource is the kube-api-access volume's source, field for
// field upstream's (defaultMode set explicitly).
func TokenVolumeSource() *corev1.ProjectedVolumeSource {
	return &corev1.ProjectedVolumeSource{
		DefaultMode: new(int32(corev1.ProjectedVolumeSourceDefaultMode)),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: new(int64(WarnOnlyExpirationSeconds))}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: RootCAConfigMap},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}
}

// validateMirrorPod: a mirror pod may reference no account, no secret and
// no token projection.
func validateMirrorPod(pod *corev1.Pod, forbidden func(error) error) error {
	if pod.Spec.ServiceAccountName != "" {
		return forbidden(fmt.Errorf("a mirror pod may not reference service accounts"))
	}
	if hasSecrets(pod) {
		return forbidden(fmt.Errorf("a mirror pod may not reference secrets"))
	}
	for _, v := range pod.Spec.Volumes {
		if p := v.Projected; p != nil {
			for _, src := range p.Sources {
				if src.ServiceAccountToken != nil {
					return forbidden(fmt.Errorf("a mirror pod may not use ServiceAccountToken volume projections"))
				}
			}
		}
	}
	return nil
}
