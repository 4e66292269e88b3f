package volumes

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/tinykube/tinykube/pkg/node/envvars"
)

// defaultMode of projected files when the API left it unset.
const defaultMode = 0o644

// setUpProjection writes a configMap, secret, downwardAPI or projected
// volume with WriteAtomic. These volumes are always read-only in the
// container.
func (m *Manager) setUpProjection(ctx context.Context, pod *corev1.Pod, v *corev1.Volume, pv *podVolumes, src *sources) (mounted, error) {
	var plugin string
	var payload map[string]File
	var err error
	switch {
	case v.ConfigMap != nil:
		plugin = pluginConfigMap
		payload, err = configMapPayload(ctx, src, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional, mode(v.ConfigMap.DefaultMode))
	case v.Secret != nil:
		plugin = pluginSecret
		payload, err = secretPayload(ctx, src, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional, mode(v.Secret.DefaultMode))
	case v.DownwardAPI != nil:
		plugin = pluginDownwardAPI
		payload, err = m.downwardPayload(pod, v.DownwardAPI.Items, mode(v.DownwardAPI.DefaultMode))
	case v.Projected != nil:
		plugin = pluginProjected
		payload, err = m.projectedPayload(ctx, pod, v, pv, src)
	}
	if err != nil {
		return mounted{}, err
	}
	gid := fsGroup(pod)
	if gid != nil {
		// Group-readable, as the kubelet's volume ownership makes them;
		// set in the payload so that an unchanged volume compares equal.
		for p, f := range payload {
			f.Mode |= 0o440
			payload[p] = f
		}
	}
	dir := m.volumeDir(pod.UID, plugin, v.Name)
	_, err = WriteAtomic(dir, payload, func(tsDir string) error {
		if gid != nil {
			chownGroup(tsDir, *gid, 0o440)
		}
		return nil
	})
	if err != nil {
		return mounted{}, err
	}
	if gid != nil {
		chownGroup(dir, *gid, 0o440)
	}
	return mounted{path: dir, readOnly: true, atomic: true}, nil
}

func mode(m *int32) os.FileMode {
	if m == nil {
		return defaultMode
	}
	return os.FileMode(*m) & os.ModePerm
}

func itemMode(m *int32, def os.FileMode) os.FileMode {
	if m == nil {
		return def
	}
	return os.FileMode(*m) & os.ModePerm
}

// configMapPayload: every key (data and binaryData) as a file named after
// it, or only the items, each at its path. A missing ConfigMap is an
// empty volume when optional; a missing item key is an error unless
// optional.
func configMapPayload(ctx context.Context, src *sources, name string, items []corev1.KeyToPath, optional *bool, def os.FileMode) (map[string]File, error) {
	cm, err := src.configMap(ctx, name)
	if apierrors.IsNotFound(err) && isTrue(optional) {
		return map[string]File{}, nil
	}
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("configmap %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("configmap %q: %w", name, err)
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return keyPayload(data, items, optional, def, "configmap references non-existent config key")
}

func secretPayload(ctx context.Context, src *sources, name string, items []corev1.KeyToPath, optional *bool, def os.FileMode) (map[string]File, error) {
	s, err := src.secret(ctx, name)
	if apierrors.IsNotFound(err) && isTrue(optional) {
		return map[string]File{}, nil
	}
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("secret %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return keyPayload(s.Data, items, optional, def, "references non-existent secret key")
}

func keyPayload(data map[string][]byte, items []corev1.KeyToPath, optional *bool, def os.FileMode, missing string) (map[string]File, error) {
	out := map[string]File{}
	if len(items) == 0 {
		for k, v := range data {
			out[k] = File{Data: v, Mode: def}
		}
		return out, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if isTrue(optional) {
				continue
			}
			return nil, fmt.Errorf("%s: %s", missing, it.Key)
		}
		out[it.Path] = File{Data: v, Mode: itemMode(it.Mode, def)}
	}
	return out, nil
}

// downwardPayload: each item's fieldRef (metadata only) or
// resourceFieldRef value.
func (m *Manager) downwardPayload(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile, def os.FileMode) (map[string]File, error) {
	out := map[string]File{}
	for _, it := range items {
		var value string
		var err error
		switch {
		case it.FieldRef != nil:
			value, err = envvars.FieldValue(pod, it.FieldRef.FieldPath, nil, nil)
		case it.ResourceFieldRef != nil:
			value, err = envvars.ResourceValue(it.ResourceFieldRef, pod, nil, m.cfg.Allocatable)
		default:
			err = fmt.Errorf("downwardAPI item %s has no fieldRef or resourceFieldRef", it.Path)
		}
		if err != nil {
			return nil, err
		}
		out[it.Path] = File{Data: []byte(value), Mode: itemMode(it.Mode, def)}
	}
	return out, nil
}

// projectedPayload merges the sources in order (a later path wins).
func (m *Manager) projectedPayload(ctx context.Context, pod *corev1.Pod, v *corev1.Volume, pv *podVolumes, src *sources) (map[string]File, error) {
	def := mode(v.Projected.DefaultMode)
	out := map[string]File{}
	add := func(p map[string]File, err error) error {
		if err != nil {
			return err
		}
		for k, f := range p {
			out[k] = f
		}
		return nil
	}
	for i, s := range v.Projected.Sources {
		var err error
		switch {
		case s.ConfigMap != nil:
			err = add(configMapPayload(ctx, src, s.ConfigMap.Name, s.ConfigMap.Items, s.ConfigMap.Optional, def))
		case s.Secret != nil:
			err = add(secretPayload(ctx, src, s.Secret.Name, s.Secret.Items, s.Secret.Optional, def))
		case s.DownwardAPI != nil:
			err = add(m.downwardPayload(pod, s.DownwardAPI.Items, def))
		case s.ServiceAccountToken != nil:
			var tok string
			tok, err = m.token(ctx, pod, pv, fmt.Sprintf("%s/%d", v.Name, i), s.ServiceAccountToken)
			if err == nil {
				out[s.ServiceAccountToken.Path] = File{Data: []byte(tok), Mode: def}
			}
		case s.ClusterTrustBundle != nil:
			var data []byte
			var ok bool
			data, ok, err = m.trustBundle(ctx, s.ClusterTrustBundle)
			if ok {
				out[s.ClusterTrustBundle.Path] = File{Data: data, Mode: def}
			}
		case s.PodCertificate != nil:
			err = fmt.Errorf("podCertificate projections are not supported on this node")
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isTrue(b *bool) bool { return b != nil && *b }
