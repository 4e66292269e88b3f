package generic

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/api"
)

// FuzzPredicate: any label and field selector string either parses into
// a predicate that can be matched against an object, or is rejected with
// an error — never a panic, and never a predicate that fails to match.
func FuzzPredicate(f *testing.F) {
	for _, seed := range [][2]string{
		{"app=web", "metadata.name=web"},
		{"app in (a,b),!x,tier notin (db)", "metadata.namespace!=default"},
		{"a,b,c==d,e!=f", "spec.nodeName=n1,status.phase=Running"},
		{"x>1,y<2", "metadata.name==a\\,b"},
		{"a in (", "spec.unknown=x"},
		{"example.com/key-1=v.2_3", "metadata.name="},
		{"!", "=,="},
		{"a=b=c", "metadata.name=a=b"},
	} {
		f.Add(seed[0], seed[1])
	}
	r, _ := api.Lookup(schema.GroupVersionResource{Version: "v1", Resource: "pods"})
	s := &Store{Resource: r, Strategy: Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		p := obj.(*corev1.Pod)
		return fields.Set{"spec.nodeName": p.Spec.NodeName, "status.phase": string(p.Status.Phase)}
	}}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web", "x": "2"}},
		Spec: corev1.PodSpec{NodeName: "n1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	f.Fuzz(func(t *testing.T, label, field string) {
		opts := &metav1.ListOptions{LabelSelector: label, FieldSelector: field}
		p, err := s.predicate(opts)
		if err != nil {
			return
		}
		if _, err := p.Matches(pod); err != nil {
			t.Fatalf("parsed selectors %q / %q fail to match: %v", label, field, err)
		}
		if p.Label != nil {
			_ = p.Label.String()
		}
		if p.Field != nil {
			if _, err := fields.ParseSelector(p.Field.String()); err != nil {
				t.Errorf("field selector %q round-trips to unparsable %q: %v", field, p.Field.String(), err)
			}
		}
	})
}
