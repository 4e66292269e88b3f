package densitybench

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/bench"
)

// phaseDensity labels every object of a density run (bench.LabelPhase).
const phaseDensity = "density"

// replicasFor splits pods over deployments as evenly as possible: the first
// pods%deployments Deployments get one replica more.
func replicasFor(pods, deployments, i int) int32 {
	n := pods / deployments
	if i < pods%deployments {
		n++
	}
	return int32(n)
}

// newDeployment returns Deployment number i of the run: a pause-like
// container with small requests, no probes (Ready as soon as it runs), and
// terminationGracePeriodSeconds 0 so that cleanup does not wait for nodes
// to confirm thousands of graceful deletions.
func newDeployment(cfg *Config, ns, runID string, i int) *appsv1.Deployment {
	name := fmt.Sprintf("density-%03d", i)
	sel := map[string]string{"app": name, bench.LabelRun: runID}
	podLabels := map[string]string{"app": name, bench.LabelRun: runID, bench.LabelPhase: phaseDensity}
	replicas := replicasFor(cfg.Pods, cfg.Deployments, i)
	zero := int64(0)
	automount := false
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: ns,
			Labels:    map[string]string{bench.LabelRun: runID, bench.LabelPhase: phaseDensity},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:  "pause",
						Image: cfg.Image,
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU:    resource.MustParse(cfg.PodCPU),
							corev1.ResourceMemory: resource.MustParse(cfg.PodMemory),
						}},
						ImagePullPolicy: corev1.PullIfNotPresent,
					}},
					TerminationGracePeriodSeconds: &zero,
					AutomountServiceAccountToken:  &automount,
				},
			},
		},
	}
}
