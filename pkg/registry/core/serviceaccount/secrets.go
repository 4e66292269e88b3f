package serviceaccount

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// hasSecrets reports whether pod references any secret: pull secrets,
// env and envFrom of any container, secret-backed volumes.
func hasSecrets(pod *corev1.Pod) bool {
	found := false
	visitSecretNames(pod, func(string) { found = true })
	return found
}

// visitSecretNames calls f with the name of every secret pod references
// (upstream's VisitPodSecretNames over all containers).
func visitSecretNames(pod *corev1.Pod, f func(string)) {
	for _, s := range pod.Spec.ImagePullSecrets {
		f(s.Name)
	}
	env := func(c []corev1.EnvVar, from []corev1.EnvFromSource) {
		for _, e := range c {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				f(e.ValueFrom.SecretKeyRef.Name)
			}
		}
		for _, e := range from {
			if e.SecretRef != nil {
				f(e.SecretRef.Name)
			}
		}
	}
	for _, c := range pod.Spec.InitContainers {
		env(c.Env, c.EnvFrom)
	}
	for _, c := range pod.Spec.Containers {
		env(c.Env, c.EnvFrom)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		env(c.Env, c.EnvFrom)
	}
	ref := func(r *corev1.LocalObjectReference) {
		if r != nil {
			f(r.Name)
		}
	}
	for _, v := range pod.Spec.Volumes {
		switch src := v.VolumeSource; {
		case src.Secret != nil:
			f(src.Secret.SecretName)
		case src.Projected != nil:
			for _, p := range src.Projected.Sources {
				if p.Secret != nil {
					f(p.Secret.Name)
				}
			}
		case src.AzureFile != nil:
			f(src.AzureFile.SecretName)
		case src.CephFS != nil:
			ref(src.CephFS.SecretRef)
		case src.Cinder != nil:
			ref(src.Cinder.SecretRef)
		case src.FlexVolume != nil:
			ref(src.FlexVolume.SecretRef)
		case src.RBD != nil:
			ref(src.RBD.SecretRef)
		case src.ISCSI != nil:
			ref(src.ISCSI.SecretRef)
		case src.ScaleIO != nil:
			ref(src.ScaleIO.SecretRef)
		case src.StorageOS != nil:
			ref(src.StorageOS.SecretRef)
		case src.CSI != nil:
			ref(src.CSI.NodePublishSecretRef)
		}
	}
}

// limitSecretReferences refuses a pod that uses a secret its account does
// not list (kubernetes.io/enforce-mountable-secrets), with upstream's
// messages.
func limitSecretReferences(sa *corev1.ServiceAccount, pod *corev1.Pod) error {
	mountable := map[string]bool{}
	for _, s := range sa.Secrets {
		mountable[s.Name] = true
	}
	for _, v := range pod.Spec.Volumes {
		if v.Secret != nil && !mountable[v.Secret.SecretName] {
			return fmt.Errorf("volume with secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", v.Secret.SecretName, sa.Name)
		}
	}
	check := func(kind string, cs []corev1.Container) error {
		for _, c := range cs {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !mountable[e.ValueFrom.SecretKeyRef.Name] {
					return fmt.Errorf("%s %s with envVar %s referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", kind, c.Name, e.Name, e.ValueFrom.SecretKeyRef.Name, sa.Name)
				}
			}
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil && !mountable[e.SecretRef.Name] {
					return fmt.Errorf("%s %s with envFrom referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", kind, c.Name, e.SecretRef.Name, sa.Name)
				}
			}
		}
		return nil
	}
	if err := check("init container", pod.Spec.InitContainers); err != nil {
		return err
	}
	if err := check("container", pod.Spec.Containers); err != nil {
		return err
	}
	pull := map[string]bool{}
	for _, s := range sa.ImagePullSecrets {
		pull[s.Name] = true
	}
	for i, s := range pod.Spec.ImagePullSecrets {
		if !pull[s.Name] {
			return fmt.Errorf(`imagePullSecrets[%d].name="%s" is not allowed because service account %s does not reference that imagePullSecret`, i, s.Name, sa.Name)
		}
	}
	return nil
}
