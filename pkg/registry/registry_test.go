package registry

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/storage"
)

// TestDisableUnknownAdmissionPlugin: --disable-admission-plugins naming a
// plugin the chain does not have is an error that lists the known ones,
// not silently ignored; a known one leaves the chain.
func TestDisableUnknownAdmissionPlugin(t *testing.T) {
	noStorage := func(api.Resource, string, func() runtime.Object, func() runtime.Object, storage.AttrFunc) (storage.Interface, error) {
		return nil, nil
	}
	_, err := Build(Config{Storage: noStorage, DisableAdmissionPlugins: []string{"ServiceAcount"}})
	if err == nil || !strings.Contains(err.Error(), `"ServiceAcount" is unknown`) || !strings.Contains(err.Error(), "ServiceAccount") {
		t.Errorf("unknown plugin: %v", err)
	}
	reg, err := Build(Config{Storage: noStorage, DisableAdmissionPlugins: []string{"ServiceAccount"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range reg.Admission.Names() {
		if name == "ServiceAccount" {
			t.Errorf("disabled plugin still in the chain: %v", reg.Admission.Names())
		}
	}
}
