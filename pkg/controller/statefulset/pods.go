package statefulset

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var kind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")

// ordinal parses <set>-<n> from a pod name; -1 if it is not one.
func ordinal(set *appsv1.StatefulSet, p *corev1.Pod) int {
	s, ok := strings.CutPrefix(p.Name, set.Name+"-")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strconv.Itoa(n) != s {
		return -1
	}
	return n
}

func podName(set *appsv1.StatefulSet, ord int) string { return fmt.Sprintf("%s-%d", set.Name, ord) }

// claimName is the PVC for one claim template at one ordinal.
func claimName(set *appsv1.StatefulSet, tmpl *corev1.PersistentVolumeClaim, ord int) string {
	return fmt.Sprintf("%s-%s-%d", tmpl.Name, set.Name, ord)
}

// newPod builds the pod for ord from a revision's template.
func newPod(set *appsv1.StatefulSet, rev *appsv1.ControllerRevision, t *corev1.PodTemplateSpec, ord int) *corev1.Pod {
	t = t.DeepCopy()
	name := podName(set, ord)
	p := &corev1.Pod{ObjectMeta: t.ObjectMeta, Spec: t.Spec}
	p.Name, p.GenerateName, p.Namespace = name, "", set.Namespace
	p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(set, kind)}
	p.Labels = maps.Clone(p.Labels)
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[appsv1.StatefulSetPodNameLabel] = name
	p.Labels[appsv1.PodIndexLabel] = strconv.Itoa(ord)
	p.Labels[appsv1.ControllerRevisionHashLabelKey] = rev.Name
	p.Spec.Hostname, p.Spec.Subdomain = name, set.Spec.ServiceName
	// Each claim template replaces a template volume of the same name.
	for i := range set.Spec.VolumeClaimTemplates {
		tmpl := &set.Spec.VolumeClaimTemplates[i]
		v := corev1.Volume{Name: tmpl.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName(set, tmpl, ord)}}}
		replaced := false
		for j := range p.Spec.Volumes {
			if p.Spec.Volumes[j].Name == tmpl.Name {
				p.Spec.Volumes[j], replaced = v, true
			}
		}
		if !replaced {
			p.Spec.Volumes = append(p.Spec.Volumes, v)
		}
	}
	return p
}

// createClaims creates the PVCs ord needs that do not exist yet.
func (c *Controller) createClaims(ctx context.Context, set *appsv1.StatefulSet, selector map[string]string, ord int) error {
	for i := range set.Spec.VolumeClaimTemplates {
		tmpl := &set.Spec.VolumeClaimTemplates[i]
		name := claimName(set, tmpl, ord)
		if _, err := c.pvcs.PersistentVolumeClaims(set.Namespace).Get(name); err == nil {
			continue
		}
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: set.Namespace,
				Labels: maps.Clone(tmpl.Labels), Annotations: maps.Clone(tmpl.Annotations)},
			Spec: *tmpl.Spec.DeepCopy(),
		}
		if pvc.Labels == nil {
			pvc.Labels = map[string]string{}
		}
		maps.Copy(pvc.Labels, selector)
		if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p != nil && p.WhenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
			ref := *metav1.NewControllerRef(set, kind)
			ref.Controller, ref.BlockOwnerDeletion = new(false), nil
			pvc.OwnerReferences = []metav1.OwnerReference{ref}
		}
		_, err := c.client.CoreV1().PersistentVolumeClaims(set.Namespace).Create(ctx, pvc, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating claim %s/%s: %w", set.Namespace, name, err)
		}
	}
	return nil
}

func isTerminated(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// readySince is when the pod became Ready, or false.
func readySince(p *corev1.Pod) (time.Time, bool) {
	if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
		return time.Time{}, false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.LastTransitionTime.Time, c.Status == corev1.ConditionTrue
		}
	}
	return time.Time{}, false
}

func isHealthy(p *corev1.Pod) bool {
	_, ok := readySince(p)
	return ok
}
