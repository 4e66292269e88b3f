package convert

import "k8s.io/apimachinery/pkg/runtime"

// Register adds every conversion of this package to s.
func Register(s *runtime.Scheme) error {
	if err := addAutoscaling(s); err != nil {
		return err
	}
	return addEvents(s)
}
