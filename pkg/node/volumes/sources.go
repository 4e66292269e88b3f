package volumes

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/pkg/node/envvars"
)

// sources reads the objects one SetUp or Update needs, each at most once.
type sources struct {
	getter  envvars.Getter
	client  kubernetes.Interface
	ns      string
	cms     map[string]cached[*corev1.ConfigMap]
	secrets map[string]cached[*corev1.Secret]
}

type cached[T any] struct {
	obj T
	err error
}

func (s *sources) configMap(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	if c, ok := s.cms[name]; ok {
		return c.obj, c.err
	}
	cm, err := s.getter.ConfigMap(ctx, s.ns, name)
	s.cms[name] = cached[*corev1.ConfigMap]{cm, err}
	return cm, err
}

func (s *sources) secret(ctx context.Context, name string) (*corev1.Secret, error) {
	if c, ok := s.secrets[name]; ok {
		return c.obj, c.err
	}
	sc, err := s.getter.Secret(ctx, s.ns, name)
	s.secrets[name] = cached[*corev1.Secret]{sc, err}
	return sc, err
}
