package validation

import (
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ephemeralFields are the EphemeralContainerCommon fields an ephemeral
// container may set, as upstream: no ports, probes, resources,
// lifecycle, restart or resize policy — an ephemeral container is never
// part of the pod's service. Fields not named here (including ones a
// newer k8s.io/api adds) are forbidden until someone decides otherwise.
var ephemeralFields = sets.New(
	"Name", "Image", "Command", "Args", "WorkingDir", "EnvFrom", "Env", "VolumeMounts", "VolumeDevices",
	"TerminationMessagePath", "TerminationMessagePolicy", "ImagePullPolicy", "SecurityContext",
	"Stdin", "StdinOnce", "TTY",
)

const notForEphemeral = "cannot be set for an Ephemeral Container"

// validateEphemeralContainers checks spec.ephemeralContainers: each as
// any container, its name unique among all the pod's containers (names
// holds the init and regular ones), its target a regular or init
// container, and only the fields ephemeralFields allows.
func validateEphemeralContainers(ecs []corev1.EphemeralContainer, spec *corev1.PodSpec, volumes, names sets.Set[string], p *field.Path, opts podSpecOpts) field.ErrorList {
	if len(ecs) == 0 {
		return nil
	}
	targets := sets.New[string]()
	for _, c := range spec.InitContainers {
		targets.Insert(c.Name)
	}
	for _, c := range spec.Containers {
		targets.Insert(c.Name)
	}
	// As containers first (indexes line up), then what is special.
	ctrs := make([]corev1.Container, len(ecs))
	for i := range ecs {
		ctrs[i] = corev1.Container(ecs[i].EphemeralContainerCommon)
		ctrs[i].RestartPolicy = nil // forbidden below, like the other fields
	}
	errs := validateContainers(ctrs, volumes, names, p, opts, false)
	for i := range ecs {
		ec := &ecs[i]
		ip := p.Index(i)
		if ec.TargetContainerName != "" && !targets.Has(ec.TargetContainerName) {
			errs = append(errs, field.NotFound(ip.Child("targetContainerName"), ec.TargetContainerName))
		}
		errs = append(errs, forbiddenFields(ec.EphemeralContainerCommon, ephemeralFields, ip)...)
		for j, m := range ec.VolumeMounts {
			if m.SubPath != "" {
				errs = append(errs, field.Forbidden(ip.Child("volumeMounts").Index(j).Child("subPath"), notForEphemeral))
			}
			if m.SubPathExpr != "" {
				errs = append(errs, field.Forbidden(ip.Child("volumeMounts").Index(j).Child("subPathExpr"), notForEphemeral))
			}
		}
	}
	return errs
}

// forbiddenFields reports every field of the struct v set (non-zero)
// but not in allowed, by its JSON name under p.
func forbiddenFields(v any, allowed sets.Set[string], p *field.Path) field.ErrorList {
	var errs field.ErrorList
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if allowed.Has(f.Name) || rv.Field(i).IsZero() {
			continue
		}
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		errs = append(errs, field.Forbidden(p.Child(name), notForEphemeral))
	}
	return errs
}

// ValidatePodEphemeralContainersUpdate validates a write through
// pods/ephemeralcontainers (pod differs from old only in its ephemeral
// containers and what the strategy lets through): the pod as a whole,
// and that existing ephemeral containers are neither removed nor
// changed — they can only be added. Static (mirror) pods take none.
func ValidatePodEphemeralContainersUpdate(pod, old *corev1.Pod) field.ErrorList {
	if _, ok := old.Annotations[corev1.MirrorPodAnnotationKey]; ok {
		return field.ErrorList{field.Forbidden(field.NewPath(""), "static pods do not support ephemeral containers")}
	}
	errs := metaUpdate(&pod.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validatePodSpec(&pod.Spec, field.NewPath("spec"), podSpecOpts{isPod: true})...)
	p := field.NewPath("spec", "ephemeralContainers")
	byName := map[string]*corev1.EphemeralContainer{}
	for i := range pod.Spec.EphemeralContainers {
		byName[pod.Spec.EphemeralContainers[i].Name] = &pod.Spec.EphemeralContainers[i]
	}
	// A patch may reorder the list: each existing container is looked up
	// by name.
	for i := range old.Spec.EphemeralContainers {
		o := &old.Spec.EphemeralContainers[i]
		n, ok := byName[o.Name]
		switch {
		case !ok:
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("existing ephemeral containers %q may not be removed\n", o.Name)))
		case !semanticEqual(*o, *n):
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("existing ephemeral containers %q may not be changed\n%s", o.Name, changedFields(*o, *n))))
		}
	}
	return errs
}

// changedFields names the top-level fields of two ephemeral containers
// that differ, for the "may not be changed" message.
func changedFields(a, b corev1.EphemeralContainer) string {
	var out []string
	va, vb := reflect.ValueOf(a.EphemeralContainerCommon), reflect.ValueOf(b.EphemeralContainerCommon)
	for i := 0; i < va.NumField(); i++ {
		if !semanticEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, strings.Split(va.Type().Field(i).Tag.Get("json"), ",")[0])
		}
	}
	if a.TargetContainerName != b.TargetContainerName {
		out = append(out, "targetContainerName")
	}
	return "changed: " + strings.Join(out, ", ")
}
