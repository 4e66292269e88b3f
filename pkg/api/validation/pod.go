package validation

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	restartPolicies = []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}
	dnsPolicies     = []corev1.DNSPolicy{corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone}
	protocols       = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	pullPolicies    = []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}
	taintEffects    = []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}
)

// podSpecOpts carries what differs between a Pod and a pod template.
type podSpecOpts struct {
	isPod bool
	// restartPolicies, when set, restricts spec.restartPolicy further
	// (Always for workloads, OnFailure/Never for Jobs).
	restartPolicies []corev1.RestartPolicy
	// noActiveDeadline forbids activeDeadlineSeconds (ReplicaSets etc.).
	noActiveDeadline string
}

func validatePod(pod *corev1.Pod) field.ErrorList {
	errs := objectMeta(&pod.ObjectMeta, true, nameIsDNSSubdomain)
	errs = append(errs, validatePodSpec(&pod.Spec, field.NewPath("spec"), podSpecOpts{isPod: true})...)
	errs = append(errs, validatePodResizePolicies(&pod.Spec, field.NewPath("spec"), true)...)
	if len(pod.Spec.EphemeralContainers) > 0 {
		// Added only through pods/ephemeralcontainers.
		errs = append(errs, field.Forbidden(field.NewPath("spec", "ephemeralContainers"), "cannot be set on create"))
	}
	return errs
}

func validatePodTemplate(t *corev1.PodTemplate) field.ErrorList {
	errs := objectMeta(&t.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validatePodTemplateSpecFor(&t.Template, field.NewPath("template"), nil)...)
}

// validatePodTemplateSpec validates a template embedded in a workload.
func validatePodTemplateSpec(t *corev1.PodTemplateSpec, p *field.Path, opts podSpecOpts) field.ErrorList {
	mp := p.Child("metadata")
	errs := labels(t.Labels, mp.Child("labels"))
	errs = append(errs, apimachineryvalidation.ValidateAnnotations(t.Annotations, mp.Child("annotations"))...)
	errs = append(errs, validatePodSpec(&t.Spec, p.Child("spec"), opts)...)
	if len(t.Spec.EphemeralContainers) > 0 {
		errs = append(errs, field.Forbidden(p.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
	}
	return errs
}

func validatePodTemplateSpecFor(t *corev1.PodTemplateSpec, p *field.Path, policies []corev1.RestartPolicy) field.ErrorList {
	return validatePodTemplateSpec(t, p, podSpecOpts{restartPolicies: policies})
}

func validatePodSpec(spec *corev1.PodSpec, p *field.Path, opts podSpecOpts) field.ErrorList {
	var errs field.ErrorList
	volumes, vErrs := validateVolumes(spec.Volumes, p.Child("volumes"))
	errs = append(errs, vErrs...)

	names := sets.New[string]()
	errs = append(errs, validateContainers(spec.InitContainers, volumes, names, p.Child("initContainers"), opts, false)...)
	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	} else {
		errs = append(errs, validateContainers(spec.Containers, volumes, names, p.Child("containers"), opts, true)...)
	}
	errs = append(errs, validateEphemeralContainers(spec.EphemeralContainers, spec, volumes, names, p.Child("ephemeralContainers"), opts)...)
	errs = append(errs, validateHostPortConflicts(spec, p)...)

	rp := p.Child("restartPolicy")
	if e := enum(spec.RestartPolicy, rp, restartPolicies...); len(e) > 0 {
		errs = append(errs, e...)
	} else if len(opts.restartPolicies) > 0 {
		errs = append(errs, enum(spec.RestartPolicy, rp, opts.restartPolicies...)...)
	}
	errs = append(errs, enum(spec.DNSPolicy, p.Child("dnsPolicy"), dnsPolicies...)...)
	if spec.DNSPolicy == corev1.DNSNone && (spec.DNSConfig == nil || len(spec.DNSConfig.Nameservers) == 0) {
		errs = append(errs, field.Required(p.Child("dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None"))
	}
	if spec.DNSConfig != nil {
		for i, ns := range spec.DNSConfig.Nameservers {
			errs = append(errs, utilvalidation.IsValidIP(p.Child("dnsConfig", "nameservers").Index(i), ns)...)
		}
	}
	errs = append(errs, labels(spec.NodeSelector, p.Child("nodeSelector"))...)
	if spec.ServiceAccountName != "" {
		for _, msg := range apimachineryvalidation.ValidateServiceAccountName(spec.ServiceAccountName, false) {
			errs = append(errs, field.Invalid(p.Child("serviceAccountName"), spec.ServiceAccountName, msg))
		}
	}
	if spec.NodeName != "" {
		errs = append(errs, dnsSubdomain(spec.NodeName, p.Child("nodeName"))...)
	}
	if spec.Hostname != "" {
		errs = append(errs, dnsLabel(spec.Hostname, p.Child("hostname"))...)
	}
	if spec.Subdomain != "" {
		errs = append(errs, dnsLabel(spec.Subdomain, p.Child("subdomain"))...)
	}
	if spec.PriorityClassName != "" {
		errs = append(errs, dnsSubdomain(spec.PriorityClassName, p.Child("priorityClassName"))...)
	}
	if spec.ActiveDeadlineSeconds != nil {
		if opts.noActiveDeadline != "" {
			errs = append(errs, field.Forbidden(p.Child("activeDeadlineSeconds"), opts.noActiveDeadline))
		} else if v := *spec.ActiveDeadlineSeconds; v < 1 || v > math.MaxInt32 {
			errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), v, utilvalidation.InclusiveRangeError(1, math.MaxInt32)))
		}
	}
	errs = append(errs, validateTolerations(spec.Tolerations, p.Child("tolerations"))...)
	errs = append(errs, validateSysctls(spec, p.Child("securityContext", "sysctls"))...)
	for i, g := range spec.SchedulingGates {
		errs = append(errs, qualifiedName(g.Name, p.Child("schedulingGates").Index(i).Child("name"))...)
	}
	for i, s := range spec.ImagePullSecrets {
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	return errs
}

// validateVolumes returns the set of declared volume names and the errors.
func validateVolumes(vols []corev1.Volume, p *field.Path) (sets.Set[string], field.ErrorList) {
	var errs field.ErrorList
	names := sets.New[string]()
	for i := range vols {
		v := &vols[i]
		ip := p.Index(i)
		np := ip.Child("name")
		if v.Name == "" {
			errs = append(errs, field.Required(np, ""))
		} else {
			errs = append(errs, dnsLabel(v.Name, np)...)
		}
		if names.Has(v.Name) {
			errs = append(errs, field.Duplicate(np, v.Name))
		} else if v.Name != "" {
			names.Insert(v.Name)
		}
		errs = append(errs, validateVolumeSource(&v.VolumeSource, ip)...)
	}
	return names, errs
}

// oneSource checks that exactly one pointer field of a *Source struct is set
// and returns the json name of the set one.
func oneSource(src any, p *field.Path) (string, field.ErrorList) {
	rv := reflect.ValueOf(src).Elem()
	var set []string
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			set = append(set, jsonName(rv.Type().Field(i)))
		}
	}
	switch len(set) {
	case 0:
		return "", field.ErrorList{field.Required(p, "must specify a volume type")}
	case 1:
		return set[0], nil
	}
	var errs field.ErrorList
	for _, s := range set[1:] {
		errs = append(errs, field.Forbidden(p.Child(s), "may not specify more than 1 volume type"))
	}
	return set[0], errs
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

func validateVolumeSource(src *corev1.VolumeSource, p *field.Path) field.ErrorList {
	_, errs := oneSource(src, p)
	switch {
	case src.ConfigMap != nil:
		if src.ConfigMap.Name == "" {
			errs = append(errs, field.Required(p.Child("configMap", "name"), ""))
		}
		errs = append(errs, validateKeyToPaths(src.ConfigMap.Items, p.Child("configMap", "items"))...)
	case src.Secret != nil:
		if src.Secret.SecretName == "" {
			errs = append(errs, field.Required(p.Child("secret", "secretName"), ""))
		}
		errs = append(errs, validateKeyToPaths(src.Secret.Items, p.Child("secret", "items"))...)
	case src.PersistentVolumeClaim != nil:
		if src.PersistentVolumeClaim.ClaimName == "" {
			errs = append(errs, field.Required(p.Child("persistentVolumeClaim", "claimName"), ""))
		}
	case src.HostPath != nil:
		if src.HostPath.Path == "" {
			errs = append(errs, field.Required(p.Child("hostPath", "path"), ""))
		}
	case src.Projected != nil:
		errs = append(errs, validateProjected(src.Projected, p.Child("projected"))...)
	case src.EmptyDir != nil:
		if src.EmptyDir.SizeLimit != nil {
			errs = append(errs, quantityNonNegative(*src.EmptyDir.SizeLimit, p.Child("emptyDir", "sizeLimit"))...)
		}
	}
	return errs
}

func validateKeyToPaths(items []corev1.KeyToPath, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, it := range items {
		ip := p.Index(i)
		if it.Key == "" {
			errs = append(errs, field.Required(ip.Child("key"), ""))
		}
		if it.Path == "" {
			errs = append(errs, field.Required(ip.Child("path"), ""))
		} else if strings.HasPrefix(it.Path, "/") {
			errs = append(errs, field.Invalid(ip.Child("path"), it.Path, "must be a relative path"))
		} else if hasDotDot(it.Path) {
			errs = append(errs, field.Invalid(ip.Child("path"), it.Path, "must not contain '..'"))
		}
	}
	return errs
}

func hasDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func validateContainers(ctrs []corev1.Container, volumes, names sets.Set[string], p *field.Path, opts podSpecOpts, regular bool) field.ErrorList {
	var errs field.ErrorList
	for i := range ctrs {
		c := &ctrs[i]
		ip := p.Index(i)
		np := ip.Child("name")
		if c.Name == "" {
			errs = append(errs, field.Required(np, ""))
		} else {
			errs = append(errs, dnsLabel(c.Name, np)...)
		}
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(np, c.Name))
		} else if c.Name != "" {
			names.Insert(c.Name)
		}
		if c.Image == "" {
			errs = append(errs, field.Required(ip.Child("image"), ""))
		} else if opts.isPod && len(strings.TrimSpace(c.Image)) != len(c.Image) {
			errs = append(errs, field.Invalid(ip.Child("image"), c.Image, "must not have leading or trailing whitespace"))
		}
		errs = append(errs, enum(c.ImagePullPolicy, ip.Child("imagePullPolicy"), pullPolicies...)...)
		errs = append(errs, enum(c.TerminationMessagePolicy, ip.Child("terminationMessagePolicy"),
			corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError)...)
		errs = append(errs, validateContainerPorts(c.Ports, ip.Child("ports"))...)
		errs = append(errs, validateEnv(c.Env, ip.Child("env"))...)
		errs = append(errs, validateVolumeMounts(c.VolumeMounts, volumes, ip.Child("volumeMounts"))...)
		errs = append(errs, validateResources(&c.Resources, ip.Child("resources"))...)
		for name, pr := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
			errs = append(errs, validateProbe(pr, ip.Child(name))...)
		}
		if c.RestartPolicy != nil {
			if regular {
				errs = append(errs, field.Forbidden(ip.Child("restartPolicy"), "may not be set for non-init containers"))
			} else if *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
				errs = append(errs, field.NotSupported(ip.Child("restartPolicy"), *c.RestartPolicy, []corev1.ContainerRestartPolicy{corev1.ContainerRestartPolicyAlways}))
			}
		}
	}
	return errs
}

func validateContainerPorts(ports []corev1.ContainerPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, port := range ports {
		ip := p.Index(i)
		if port.Name != "" {
			for _, msg := range utilvalidation.IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), port.Name, msg))
			}
			if names.Has(port.Name) {
				errs = append(errs, field.Duplicate(ip.Child("name"), port.Name))
			}
			names.Insert(port.Name)
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(ip.Child("containerPort"), ""))
		} else {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.ContainerPort)) {
				errs = append(errs, field.Invalid(ip.Child("containerPort"), port.ContainerPort, msg))
			}
		}
		if port.HostPort != 0 {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.HostPort)) {
				errs = append(errs, field.Invalid(ip.Child("hostPort"), port.HostPort, msg))
			}
		}
		errs = append(errs, enum(port.Protocol, ip.Child("protocol"), protocols...)...)
	}
	return errs
}

// validateHostPortConflicts rejects two containers claiming the same
// hostPort/protocol/hostIP.
func validateHostPortConflicts(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for ci, c := range spec.Containers {
		for pi, port := range c.Ports {
			if port.HostPort == 0 {
				continue
			}
			key := fmt.Sprintf("%s/%s/%d", port.HostIP, port.Protocol, port.HostPort)
			if seen.Has(key) {
				errs = append(errs, field.Duplicate(p.Child("containers").Index(ci).Child("ports").Index(pi).Child("hostPort"), key))
			}
			seen.Insert(key)
		}
	}
	return errs
}

func validateEnv(env []corev1.EnvVar, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, ev := range env {
		ip := p.Index(i)
		if ev.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		} else {
			for _, msg := range utilvalidation.IsRelaxedEnvVarName(ev.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), ev.Name, msg))
			}
		}
		if ev.ValueFrom == nil {
			continue
		}
		vp := ip.Child("valueFrom")
		n := 0
		vf := ev.ValueFrom
		if vf.FieldRef != nil {
			n++
			if vf.FieldRef.FieldPath == "" {
				errs = append(errs, field.Required(vp.Child("fieldRef", "fieldPath"), ""))
			}
		}
		if vf.ResourceFieldRef != nil {
			n++
			if vf.ResourceFieldRef.Resource == "" {
				errs = append(errs, field.Required(vp.Child("resourceFieldRef", "resource"), ""))
			}
		}
		if vf.ConfigMapKeyRef != nil {
			n++
			errs = append(errs, validateKeySelector(vf.ConfigMapKeyRef.Name, vf.ConfigMapKeyRef.Key, vp.Child("configMapKeyRef"))...)
		}
		if vf.SecretKeyRef != nil {
			n++
			errs = append(errs, validateKeySelector(vf.SecretKeyRef.Name, vf.SecretKeyRef.Key, vp.Child("secretKeyRef"))...)
		}
		if vf.FileKeyRef != nil {
			n++
		}
		switch {
		case n == 0:
			errs = append(errs, field.Invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
		case n > 1:
			errs = append(errs, field.Invalid(vp, "", "may not have more than one field specified at a time"))
		case ev.Value != "":
			errs = append(errs, field.Invalid(vp, "", "may not be specified when `value` is not empty"))
		}
	}
	return errs
}

func validateKeySelector(name, key string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	if key == "" {
		errs = append(errs, field.Required(p.Child("key"), ""))
	} else {
		for _, msg := range utilvalidation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(p.Child("key"), key, msg))
		}
	}
	return errs
}

func validateVolumeMounts(mounts []corev1.VolumeMount, volumes sets.Set[string], p *field.Path) field.ErrorList {
	var errs field.ErrorList
	paths := sets.New[string]()
	for i, m := range mounts {
		ip := p.Index(i)
		if m.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		} else if !volumes.Has(m.Name) {
			errs = append(errs, field.NotFound(ip.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			errs = append(errs, field.Required(ip.Child("mountPath"), ""))
		} else if paths.Has(m.MountPath) {
			errs = append(errs, field.Invalid(ip.Child("mountPath"), m.MountPath, "must be unique"))
		}
		paths.Insert(m.MountPath)
		if m.SubPath != "" {
			if strings.HasPrefix(m.SubPath, "/") {
				errs = append(errs, field.Invalid(ip.Child("subPath"), m.SubPath, "must be a relative path"))
			} else if hasDotDot(m.SubPath) {
				errs = append(errs, field.Invalid(ip.Child("subPath"), m.SubPath, "must not contain '..'"))
			}
		}
	}
	return errs
}

// validateResourceList checks resource names and non-negative quantities.
func validateResourceList(list corev1.ResourceList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for name, q := range list {
		kp := p.Key(string(name))
		errs = append(errs, validateResourceName(name, kp)...)
		errs = append(errs, quantityNonNegative(q, kp)...)
	}
	return errs
}

func validateResourceName(name corev1.ResourceName, p *field.Path) field.ErrorList {
	errs := qualifiedName(string(name), p)
	if len(errs) == 0 && !strings.Contains(string(name), "/") && !standardResource(name) {
		errs = append(errs, field.Invalid(p, name, "must be a standard resource type or fully qualified"))
	}
	return errs
}

func standardResource(name corev1.ResourceName) bool {
	s := string(name)
	switch {
	case strings.HasPrefix(s, corev1.ResourceHugePagesPrefix),
		strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix),
		strings.HasPrefix(s, "limits."), strings.HasPrefix(s, "count/"):
		return true
	}
	switch name {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage, corev1.ResourceStorage,
		corev1.ResourcePods, corev1.ResourceServices, corev1.ResourceReplicationControllers, corev1.ResourceQuotas,
		corev1.ResourceSecrets, corev1.ResourceConfigMaps, corev1.ResourcePersistentVolumeClaims,
		corev1.ResourceServicesNodePorts, corev1.ResourceServicesLoadBalancers,
		corev1.ResourceRequestsStorage, corev1.ResourceRequestsEphemeralStorage:
		return true
	}
	return false
}

func validateResources(r *corev1.ResourceRequirements, p *field.Path) field.ErrorList {
	lp, rp := p.Child("limits"), p.Child("requests")
	errs := validateResourceList(r.Limits, lp)
	errs = append(errs, validateResourceList(r.Requests, rp)...)
	for name, req := range r.Requests {
		limit, ok := r.Limits[name]
		if ok && req.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(rp.Key(string(name)), req.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		}
	}
	return errs
}

func validateProbe(pr *corev1.Probe, p *field.Path) field.ErrorList {
	if pr == nil {
		return nil
	}
	var errs field.ErrorList
	n := 0
	h := pr.ProbeHandler
	if h.Exec != nil {
		n++
	}
	if h.HTTPGet != nil {
		n++
		errs = append(errs, validatePortNumOrName(h.HTTPGet.Port, p.Child("httpGet", "port"))...)
	}
	if h.TCPSocket != nil {
		n++
		errs = append(errs, validatePortNumOrName(h.TCPSocket.Port, p.Child("tcpSocket", "port"))...)
	}
	if h.GRPC != nil {
		n++
	}
	if n == 0 {
		errs = append(errs, field.Required(p, "must specify a handler type"))
	} else if n > 1 {
		errs = append(errs, field.Forbidden(p, "may not specify more than 1 handler type"))
	}
	errs = append(errs, nonNegative(int64(pr.InitialDelaySeconds), p.Child("initialDelaySeconds"))...)
	errs = append(errs, nonNegative(int64(pr.TimeoutSeconds), p.Child("timeoutSeconds"))...)
	errs = append(errs, nonNegative(int64(pr.PeriodSeconds), p.Child("periodSeconds"))...)
	errs = append(errs, nonNegative(int64(pr.SuccessThreshold), p.Child("successThreshold"))...)
	errs = append(errs, nonNegative(int64(pr.FailureThreshold), p.Child("failureThreshold"))...)
	return errs
}

// validatePortNumOrName validates an IntOrString port: 1-65535 or an
// IANA_SVC_NAME.
func validatePortNumOrName(port intstr.IntOrString, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch port.Type {
	case intstr.Int:
		for _, msg := range utilvalidation.IsValidPortNum(int(port.IntVal)) {
			errs = append(errs, field.Invalid(p, port.IntVal, msg))
		}
	case intstr.String:
		for _, msg := range utilvalidation.IsValidPortName(port.StrVal) {
			errs = append(errs, field.Invalid(p, port.StrVal, msg))
		}
	default:
		errs = append(errs, field.InternalError(p, fmt.Errorf("unknown type: %v", port.Type)))
	}
	return errs
}

func validateTolerations(tols []corev1.Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range tols {
		ip := p.Index(i)
		if t.Key != "" {
			errs = append(errs, qualifiedName(t.Key, ip.Child("key"))...)
		}
		if t.Key == "" && t.Operator != corev1.TolerationOpExists {
			errs = append(errs, field.Invalid(ip.Child("operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			errs = append(errs, field.Invalid(ip.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
		switch t.Operator {
		case corev1.TolerationOpEqual, "":
			for _, msg := range utilvalidation.IsValidLabelValue(t.Value) {
				errs = append(errs, field.Invalid(ip.Child("operator"), t.Value, msg))
			}
		case corev1.TolerationOpExists:
			if t.Value != "" {
				errs = append(errs, field.Invalid(ip.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
			}
		case corev1.TolerationOpLt, corev1.TolerationOpGt:
			// Numeric comparison operators (newer API); accept.
		default:
			errs = append(errs, field.NotSupported(ip.Child("operator"), t.Operator,
				[]corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
		}
		errs = append(errs, optionalEnum(t.Effect, ip.Child("effect"), taintEffects...)...)
	}
	return errs
}
