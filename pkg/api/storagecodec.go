package api

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	resourcev1 "k8s.io/api/resource/v1"
	resourcev1beta2 "k8s.io/api/resource/v1beta2"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	storagemigrationv1beta1 "k8s.io/api/storagemigration/v1beta1"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

// StorageCodec is how r's objects are written to and read from etcd.
// Writes are protobuf (upstream's "k8s\x00" envelope) or, for the
// resources upstream stores as JSON (Resource.StoredAsJSON), JSON, in
// r's StorageVersion. Reads take whatever either server may have
// written: protobuf, JSON or YAML, at any version the scheme converts
// from; for CustomResourceDefinitions also apiextensions.k8s.io/v1beta1,
// the version upstream still stores them in.
func StorageCodec(r Resource) runtime.Codec {
	var enc runtime.Encoder = protobuf.NewSerializer(Scheme, Scheme)
	if r.StoredAsJSON {
		enc = json.NewSerializerWithOptions(json.DefaultMetaFactory, Scheme, Scheme, json.SerializerOptions{})
	}
	return Codecs.CodecForVersions(enc, storageDecoder{}, StorageVersioner(r), r.GroupVersion)
}

// storageDecoder decodes a stored object in any encoding; one of a
// version the served scheme does not know goes through decodeLegacy.
type storageDecoder struct{}

func (storageDecoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := Codecs.UniversalDeserializer().Decode(data, defaults, into)
	if err != nil && runtime.IsNotRegisteredError(err) {
		return decodeLegacy(data, defaults)
	}
	return obj, gvk, err
}

// storedAtOlderVersion lists the kinds upstream v1.37 still stores at an
// earlier version than the one tinykube serves (a kind newly at v1 keeps
// its previous storage version for a release, so that a downgrade can
// read it), with the served kind each converts to. The fields are the
// same in both versions but for those listed in dropped, which the
// served version no longer has (upstream's v1 drops them too); the
// conversion refuses any other it cannot carry.
var storedAtOlderVersion = map[schema.GroupVersionKind]olderVersion{
	certificatesv1beta1.SchemeGroupVersion.WithKind("ClusterTrustBundle"): {served: certificatesv1.SchemeGroupVersion.WithKind("ClusterTrustBundle")},
	certificatesv1beta1.SchemeGroupVersion.WithKind("PodCertificateRequest"): {served: certificatesv1.SchemeGroupVersion.WithKind("PodCertificateRequest"),
		dropped: []string{"pkixPublicKey", "proofOfPossession"}}, // in spec; v1 keeps the key in stubPKCS10Request
	resourcev1beta2.SchemeGroupVersion.WithKind("DeviceTaintRule"):                 {served: resourcev1.SchemeGroupVersion.WithKind("DeviceTaintRule")},
	storagemigrationv1beta1.SchemeGroupVersion.WithKind("StorageVersionMigration"): {served: storagemigrationv1.SchemeGroupVersion.WithKind("StorageVersionMigration")},
}

type olderVersion struct {
	served schema.GroupVersionKind
	// dropped are spec fields of the stored version the served one lacks.
	dropped []string
}

// decodeLegacy decodes what upstream stored at a version tinykube does
// not serve: a CustomResourceDefinition at apiextensions.k8s.io/v1beta1
// (converted through apiextensions' internal version) or a kind of
// storedAtOlderVersion.
func decodeLegacy(data []byte, defaults *schema.GroupVersionKind) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := legacyCodecs.UniversalDeserializer().Decode(data, defaults, nil)
	if err != nil {
		return nil, nil, err
	}
	if gvk.Group == crdKind.Group {
		return convertCRD(obj)
	}
	older, ok := storedAtOlderVersion[*gvk]
	if !ok {
		return nil, nil, fmt.Errorf("stored %v: no conversion to a served version", gvk)
	}
	served := older.served
	out, err := Scheme.New(served)
	if err != nil {
		return nil, nil, err
	}
	b, err := stdjson.Marshal(obj)
	if err != nil {
		return nil, nil, err
	}
	if len(older.dropped) > 0 {
		var m map[string]any
		if err := stdjson.Unmarshal(b, &m); err != nil {
			return nil, nil, err
		}
		if spec, ok := m["spec"].(map[string]any); ok {
			for _, f := range older.dropped {
				delete(spec, f)
			}
		}
		if b, err = stdjson.Marshal(m); err != nil {
			return nil, nil, err
		}
	}
	d := stdjson.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(out); err != nil {
		return nil, nil, fmt.Errorf("stored %v as %v: %w", gvk, served, err)
	}
	out.GetObjectKind().SetGroupVersionKind(served)
	return out, &served, nil
}

var crdKind = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")

// legacyScheme knows the versions upstream may have stored that the
// served scheme does not: apiextensions.k8s.io/v1beta1 (with
// apiextensions' internal version, the hub of its conversions) and the
// earlier versions of storedAtOlderVersion. Only decodeLegacy uses it,
// so these versions appear nowhere else (discovery, OpenAPI).
var legacyScheme = runtime.NewScheme()

var legacyCodecs = serializer.NewCodecFactory(legacyScheme)

func init() {
	for _, add := range []func(*runtime.Scheme) error{
		apiextensions.AddToScheme, apiextensionsv1beta1.AddToScheme, apiextensionsv1.AddToScheme,
		certificatesv1beta1.AddToScheme, resourcev1beta2.AddToScheme, storagemigrationv1beta1.AddToScheme,
	} {
		utilruntime.Must(add(legacyScheme))
	}
}

// convertCRD converts a stored CRD of either version to v1.
func convertCRD(stored runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	internal := &apiextensions.CustomResourceDefinition{}
	out := &apiextensionsv1.CustomResourceDefinition{}
	if err := legacyScheme.Convert(stored, internal, nil); err != nil {
		return nil, nil, fmt.Errorf("stored CustomResourceDefinition: %w", err)
	}
	if err := legacyScheme.Convert(internal, out, nil); err != nil {
		return nil, nil, fmt.Errorf("stored CustomResourceDefinition: %w", err)
	}
	out.SetGroupVersionKind(crdKind)
	return out, &crdKind, nil
}
