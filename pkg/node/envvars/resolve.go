package envvars

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Getter reads the ConfigMaps and Secrets a container's env refers to
// (an informer's lister, a cache, or the API). A missing object is an
// apierrors NotFound error.
type Getter interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// Input is what a container's environment is computed from.
type Input struct {
	Pod       *corev1.Pod
	Container *corev1.Container
	// PodIPs and HostIPs answer status.podIP(s) and status.hostIP(s).
	PodIPs, HostIPs []string
	// Allocatable is the node's, standing in for unset limits.
	Allocatable corev1.ResourceList
	// Services are the Services the node knows (all namespaces); nil
	// gives no service variables.
	Services []*corev1.Service
	// Getter reads ConfigMaps and Secrets; required only if the
	// container refers to one.
	Getter Getter
}

// Result is a container's environment.
type Result struct {
	// Env, in order: envFrom's variables, env's, then the service
	// variables not already defined.
	Env []*runtimeapi.KeyValue
	// Skipped lists, per envFrom source that had any, the keys left
	// out because they cannot be environment variable names; the agent
	// reports them in an InvalidEnvironmentVariableNames event.
	Skipped []string
}

// Resolve computes the environment of in.Container. An error (a missing
// ConfigMap, Secret or key that is not optional, a bad fieldRef) means
// the container cannot be created yet; the kubelet reports it as
// CreateContainerConfigError and retries.
func Resolve(ctx context.Context, in Input) (*Result, error) {
	pod, c := in.Pod, in.Container
	enableLinks := pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks
	service := map[string]string{}
	svcVars := ServiceVars(pod.Namespace, enableLinks, in.Services)
	for _, v := range svcVars {
		service[v.Name] = v.Value
	}
	env := &ordered{index: map[string]int{}}
	cms := map[string]*corev1.ConfigMap{}
	secrets := map[string]*corev1.Secret{}
	getCM := func(name string) (*corev1.ConfigMap, error) {
		if cm, ok := cms[name]; ok {
			return cm, nil
		}
		if in.Getter == nil {
			return nil, fmt.Errorf("couldn't get configMap %s/%s: no getter", pod.Namespace, name)
		}
		cm, err := in.Getter.ConfigMap(ctx, pod.Namespace, name)
		if err != nil {
			return nil, kubeletNotFound(err, "configmap", name)
		}
		cms[name] = cm
		return cm, nil
	}
	getSecret := func(name string) (*corev1.Secret, error) {
		if s, ok := secrets[name]; ok {
			return s, nil
		}
		if in.Getter == nil {
			return nil, fmt.Errorf("couldn't get secret %s/%s: no getter", pod.Namespace, name)
		}
		s, err := in.Getter.Secret(ctx, pod.Namespace, name)
		if err != nil {
			return nil, kubeletNotFound(err, "secret", name)
		}
		secrets[name] = s
		return s, nil
	}
	res := &Result{}
	for _, from := range c.EnvFrom {
		var data map[string]string
		var what string
		switch {
		case from.ConfigMapRef != nil:
			cm, err := getCM(from.ConfigMapRef.Name)
			if apierrors.IsNotFound(err) && isTrue(from.ConfigMapRef.Optional) {
				continue
			}
			if err != nil {
				return nil, err
			}
			data, what = cm.Data, "configMap "+pod.Namespace+"/"+cm.Name
		case from.SecretRef != nil:
			s, err := getSecret(from.SecretRef.Name)
			if apierrors.IsNotFound(err) && isTrue(from.SecretRef.Optional) {
				continue
			}
			if err != nil {
				return nil, err
			}
			data = make(map[string]string, len(s.Data))
			for k, v := range s.Data {
				data[k] = string(v)
			}
			what = "secret " + pod.Namespace + "/" + s.Name
		default:
			continue
		}
		var bad []string
		for _, k := range sortedKeys(data) {
			name := from.Prefix + k
			if errs := validation.IsRelaxedEnvVarName(name); len(errs) > 0 {
				bad = append(bad, name)
				continue
			}
			env.set(name, data[k])
		}
		if len(bad) > 0 {
			res.Skipped = append(res.Skipped, fmt.Sprintf("Keys [%s] from the EnvFrom %s were skipped since they are considered invalid environment variable names.",
				strings.Join(bad, ", "), what))
		}
	}
	for _, e := range c.Env {
		value := e.Value
		switch {
		case value != "":
			value = Expand(value, func(name string) (string, bool) {
				if i, ok := env.index[name]; ok {
					return env.vars[i].Value, true
				}
				v, ok := service[name]
				return v, ok
			})
		case e.ValueFrom == nil:
		case e.ValueFrom.FieldRef != nil:
			v, err := FieldValue(pod, e.ValueFrom.FieldRef.FieldPath, in.PodIPs, in.HostIPs)
			if err != nil {
				return nil, err
			}
			value = v
		case e.ValueFrom.ResourceFieldRef != nil:
			v, err := ResourceValue(e.ValueFrom.ResourceFieldRef, pod, c, in.Allocatable)
			if err != nil {
				return nil, err
			}
			value = v
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, err := getCM(ref.Name)
			if apierrors.IsNotFound(err) && isTrue(ref.Optional) {
				continue
			}
			if err != nil {
				return nil, err
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				if isTrue(ref.Optional) {
					continue
				}
				return nil, fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", ref.Key, pod.Namespace, ref.Name)
			}
			value = v
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, err := getSecret(ref.Name)
			if apierrors.IsNotFound(err) && isTrue(ref.Optional) {
				continue
			}
			if err != nil {
				return nil, err
			}
			v, ok := s.Data[ref.Key]
			if !ok {
				if isTrue(ref.Optional) {
					continue
				}
				return nil, fmt.Errorf("couldn't find key %s in Secret %s/%s", ref.Key, pod.Namespace, ref.Name)
			}
			value = string(v)
		default:
			return nil, fmt.Errorf("env %s: unsupported valueFrom", e.Name)
		}
		env.set(e.Name, value)
	}
	for _, v := range svcVars {
		if _, defined := env.index[v.Name]; !defined {
			env.set(v.Name, v.Value)
		}
	}
	res.Env = make([]*runtimeapi.KeyValue, len(env.vars))
	for i, v := range env.vars {
		res.Env[i] = &runtimeapi.KeyValue{Key: v.Name, Value: []byte(v.Value)}
	}
	return res, nil
}

// kubeletNotFound rewords a NotFound error as the kubelet's ConfigMap
// and Secret managers word it (`configmap "x" not found`, the resource
// in the singular), which is what users see in
// CreateContainerConfigError; it stays a NotFound error.
func kubeletNotFound(err error, resource, name string) error {
	if !apierrors.IsNotFound(err) {
		return err
	}
	return apierrors.NewNotFound(schema.GroupResource{Resource: resource}, name)
}

// Lookup returns the variables of env by name, for expanding a
// container's command, args and subPathExpr.
func Lookup(env []*runtimeapi.KeyValue) func(string) (string, bool) {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		m[kv.Key] = string(kv.Value)
	}
	return LookupIn(m)
}

// ordered is an environment that keeps the place of a variable's first
// definition and the value of its last.
type ordered struct {
	vars  []Var
	index map[string]int
}

func (o *ordered) set(name, value string) {
	if i, ok := o.index[name]; ok {
		o.vars[i].Value = value
		return
	}
	o.index[name] = len(o.vars)
	o.vars = append(o.vars, Var{name, value})
}

func isTrue(b *bool) bool { return b != nil && *b }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ClientGetter is a Getter that reads from the API server.
type ClientGetter struct{ Client kubernetes.Interface }

var _ Getter = ClientGetter{}

// ConfigMap gets a ConfigMap.
func (g ClientGetter) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return g.Client.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}

// Secret gets a Secret.
func (g ClientGetter) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return g.Client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}
