package generic

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The write path runs these hooks in this order, for creates and updates
// alike (this is the only place the order is decided):
//
//  1. prepare      Strategy.PrepareForCreate / PrepareForUpdate: clear or
//                  carry over what this endpoint may not change
//  2. metadata     uid, creationTimestamp, generation, generateName
//  3. validate     Strategy.Validate / ValidateUpdate → 422 Invalid
//  4. admit        namespace lifecycle, allocators, quota (BeforeCreate,
//                  BeforeUpdate)
//  5. store        compare-and-swap write to etcd (skipped on dryRun)
//
// Defaulting happens before all of this, when the request body is decoded
// (api.Scheme.Default), exactly as upstream defaults at decode time.

func (s *Store) validateCreate(ctx context.Context, obj runtime.Object) error {
	return s.invalid(obj, s.Strategy.Validate(ctx, obj))
}

func (s *Store) validateUpdate(ctx context.Context, strategy Strategy, obj, old runtime.Object) error {
	return s.invalid(obj, strategy.ValidateUpdate(ctx, obj, old))
}

func (s *Store) invalid(obj runtime.Object, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(s.Resource.GVK().GroupKind(), objectMeta(obj).GetName(), errs)
}
