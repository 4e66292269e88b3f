package apiservice

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/tinykube/tinykube/pkg/api"
)

func strategy(t *testing.T) Strategy {
	r, ok := api.Lookup(apiregistrationv1.SchemeGroupVersion.WithResource("apiservices"))
	if !ok {
		t.Fatal("apiservices not served")
	}
	return NewStrategy(r)
}

func apiService(name, group, version string, mutate func(*apiregistrationv1.APIService)) *apiregistrationv1.APIService {
	a := &apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apiregistrationv1.APIServiceSpec{Group: group, Version: version, GroupPriorityMinimum: 100, VersionPriority: 10}}
	if mutate != nil {
		mutate(a)
	}
	return a
}

func remote(a *apiregistrationv1.APIService) {
	port := int32(443)
	a.Spec.Service = &apiregistrationv1.ServiceReference{Namespace: "ns", Name: "svc", Port: &port}
}

// TestValidate: upstream's rules, each case expecting the fields at fault.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    *apiregistrationv1.APIService
		want string // comma-separated fields, "" for valid
	}{
		{"local", apiService("v1.example.com", "example.com", "v1", nil), ""},
		{"core group", apiService("v1.", "", "v1", nil), ""},
		{"remote", apiService("v1.example.com", "example.com", "v1", remote), ""},
		{"name not version.group", apiService("example", "example.com", "v1", nil), "metadata.name"},
		{"empty group, not v1", apiService("v2.", "", "v2", nil), "spec.group"},
		{"bad group and version", apiService("V1.Example_com", "Example_com", "V1", nil), "spec.group,spec.version"},
		{"priorities out of range", apiService("v1.example.com", "example.com", "v1", func(a *apiregistrationv1.APIService) {
			a.Spec.GroupPriorityMinimum, a.Spec.VersionPriority = 0, 1001
		}), "spec.groupPriorityMinimum,spec.versionPriority"},
		{"local with TLS settings", apiService("v1.example.com", "example.com", "v1", func(a *apiregistrationv1.APIService) {
			a.Spec.CABundle, a.Spec.InsecureSkipTLSVerify = []byte("x"), true
		}), "spec.caBundle,spec.insecureSkipTLSVerify"},
		{"remote without name, bad port, both TLS settings", apiService("v1.example.com", "example.com", "v1", func(a *apiregistrationv1.APIService) {
			remote(a)
			port := int32(0)
			a.Spec.Service.Name, a.Spec.Service.Port = "", &port
			a.Spec.CABundle, a.Spec.InsecureSkipTLSVerify = []byte("x"), true
		}), "spec.service.name,spec.service.port,spec.insecureSkipTLSVerify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range strategy(t).Validate(context.Background(), tc.a) {
				got = append(got, e.Field)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("errors on %s, want %q", strings.Join(got, ","), tc.want)
			}
		})
	}
}

// TestStatus: a local APIService is created Available, a remote one with
// no status; /status writes only the status and checks condition values.
func TestStatus(t *testing.T) {
	s, ctx := strategy(t), context.Background()
	local := apiService("v1.example.com", "example.com", "v1", nil)
	local.Status.Conditions = []apiregistrationv1.APIServiceCondition{{Type: "Bogus", Status: "True"}}
	s.PrepareForCreate(ctx, local)
	if c, ok := Condition(local, apiregistrationv1.Available); len(local.Status.Conditions) != 1 || !ok ||
		c.Status != apiregistrationv1.ConditionTrue || c.Reason != "Local" {
		t.Errorf("local status after create = %+v", local.Status)
	}
	r := apiService("v1.example.com", "example.com", "v1", remote)
	r.Status.Conditions = []apiregistrationv1.APIServiceCondition{{Type: apiregistrationv1.Available, Status: "True"}}
	s.PrepareForCreate(ctx, r)
	if len(r.Status.Conditions) != 0 {
		t.Errorf("remote status after create = %+v", r.Status)
	}

	st := s.StatusStrategy()
	old := apiService("v1.example.com", "example.com", "v1", remote)
	old.Labels = map[string]string{"a": "1"}
	next := old.DeepCopy()
	next.Labels = map[string]string{"a": "2"}
	next.Spec.VersionPriority = 99
	next.Status.Conditions = []apiregistrationv1.APIServiceCondition{{Type: apiregistrationv1.Available, Status: "Maybe"}}
	st.PrepareForUpdate(ctx, next, old)
	if next.Labels["a"] != "1" || next.Spec.VersionPriority != 10 {
		t.Errorf("/status changed labels %v or spec %+v", next.Labels, next.Spec)
	}
	errs := st.ValidateUpdate(ctx, next, old)
	if len(errs) != 1 || errs[0].Field != "status.conditions[0].status" {
		t.Errorf("/status errors = %v", errs)
	}
}
