package generic

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

// predicate parses the list options' selectors. A field selector on a
// field the resource does not support is a 400, as upstream: a selector
// that silently matched nothing (or everything) would mislead clients.
func (s *Store) predicate(opts *metav1.ListOptions) (storage.Predicate, error) {
	p := storage.Predicate{
		Label:    labels.Everything(),
		Field:    fields.Everything(),
		GetAttrs: s.Strategy.GetAttrs,
		Limit:    opts.Limit,
		Continue: opts.Continue,
	}
	if opts.LabelSelector != "" {
		sel, err := labels.Parse(opts.LabelSelector)
		if err != nil {
			return p, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
		p.Label = sel
	}
	if opts.FieldSelector != "" {
		sel, err := fields.ParseSelector(opts.FieldSelector)
		if err != nil {
			return p, apierrors.NewBadRequest(fmt.Sprintf("invalid field selector: %v", err))
		}
		allowed := s.selectableFields()
		sel, err = sel.Transform(func(field, value string) (string, string, error) {
			if !allowed[field] {
				return "", "", apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", field))
			}
			return field, value, nil
		})
		if err != nil {
			return p, err
		}
		p.Field = sel
	}
	return p, nil
}

// selectableFields lists the field labels the resource supports, read off
// the attributes of an empty object.
func (s *Store) selectableFields() map[string]bool {
	_, fs, err := s.Strategy.GetAttrs(s.New())
	out := map[string]bool{"metadata.name": true}
	if s.Resource.Namespaced {
		out["metadata.namespace"] = true
	}
	if err == nil {
		for k := range fs {
			out[k] = true
		}
	}
	return out
}

// Matches reports whether obj passes the selectors of opts; watch handlers
// and deletecollection use it.
func (s *Store) Matches(obj runtime.Object, opts *metav1.ListOptions) (bool, error) {
	p, err := s.predicate(opts)
	if err != nil {
		return false, err
	}
	return p.Matches(obj)
}
