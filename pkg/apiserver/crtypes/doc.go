// Package crtypes is what differs when pkg/apiserver serves a custom
// resource: its apiserver.Types. Request bodies are JSON or YAML (no
// protobuf), decoded into unstructured objects and admitted with the
// CRD's schema (defaulting, pruning, fieldValidation); versions convert
// by changing apiVersion (conversion None); Tables print the CRD's
// additionalPrinterColumns; the field manager uses the CRD's schema;
// …/scale reads and writes the CRD's scale paths.
//
// pkg/apiextensions/controller builds one Types per served version of an
// established CRD and hands it to apiserver.Server.SetCustomResources.
// The built-in counterpart is the scheme's, inside pkg/apiserver.
package crtypes
