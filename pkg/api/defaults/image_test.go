package defaults_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestImagePullPolicy(t *testing.T) {
	for _, tc := range []struct {
		image string
		want  corev1.PullPolicy
	}{
		{"nginx", corev1.PullAlways},
		{"nginx:latest", corev1.PullAlways},
		{"library/nginx", corev1.PullAlways},
		{"docker.io/library/nginx:latest", corev1.PullAlways},
		{"localhost/app", corev1.PullAlways},
		{"registry.example.com:5000/app", corev1.PullAlways},
		{"registry.example.com:5000/app:latest", corev1.PullAlways},
		{"[::1]:5000/app", corev1.PullAlways},
		{"nginx:1.27", corev1.PullIfNotPresent},
		{"nginx:LATEST", corev1.PullIfNotPresent},
		{"registry.example.com:5000/app:v1", corev1.PullIfNotPresent},
		{"nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent},
		{"nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", corev1.PullAlways},
		{"Example.com/app", corev1.PullAlways},
		// References that do not parse: validation rejects them, defaulting
		// falls back to IfNotPresent like upstream.
		{"", corev1.PullIfNotPresent},
		{"NGINX", corev1.PullIfNotPresent},
		{"nginx:", corev1.PullIfNotPresent},
		{"nginx@sha256:abc", corev1.PullIfNotPresent},
		{"nginx:bad tag", corev1.PullIfNotPresent},
		{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent},
		{"repo//double", corev1.PullIfNotPresent},
		{"Foo/bar", corev1.PullAlways},
		{"a.b/C", corev1.PullIfNotPresent},
		{"my_repo/x__y", corev1.PullAlways},
		{"x--y/z-_a", corev1.PullIfNotPresent},
		{"nginx:latest@md5:0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent},
		{"nginx:latest@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent},
	} {
		t.Run(tc.image, func(t *testing.T) {
			p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: tc.image}}}}
			scheme.Default(p)
			if got := p.Spec.Containers[0].ImagePullPolicy; got != tc.want {
				t.Errorf("imagePullPolicy for %q = %s, want %s", tc.image, got, tc.want)
			}
		})
	}
}
