package validation

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	printerColumnTypes   = []string{"boolean", "date", "integer", "number", "string"}
	printerColumnFormats = []string{"byte", "date", "date-time", "double", "float", "int32", "int64", "password"}
	// conversionReviewVersions are the ConversionReview versions a webhook
	// may accept.
	conversionReviewVersions = []string{"v1", "v1beta1"}
)

// ValidateCreate validates a new CRD (after SetDefaults). ObjectMeta is the
// caller's, except metadata.name, which must be <plural>.<group>.
func ValidateCreate(crd *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	errs := validateName(crd)
	errs = append(errs, validateSpec(&crd.Spec, field.NewPath("spec"))...)
	errs = append(errs, validateNames(&crd.Status.AcceptedNames, field.NewPath("status", "acceptedNames"))...)
	errs = append(errs, validateStoredVersions(crd.Status.StoredVersions, crd.Spec.Versions, field.NewPath("status", "storedVersions"))...)
	errs = append(errs, validateAPIApproval(crd, nil)...)
	return append(errs, validatePreserveUnknownFields(crd, nil)...)
}

// ValidateUpdate validates crd replacing old: everything ValidateCreate
// checks, and group and names.plural never change; scope and names.kind
// not once the CRD is Established. Every version in status.storedVersions
// must stay in spec.versions.
func ValidateUpdate(crd, old *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	spec := field.NewPath("spec")
	errs := validateSpec(&crd.Spec, spec)
	if established(old) {
		errs = append(errs, immutable(crd.Spec.Scope, old.Spec.Scope, spec.Child("scope"))...)
		errs = append(errs, immutable(crd.Spec.Names.Kind, old.Spec.Names.Kind, spec.Child("names", "kind"))...)
	}
	errs = append(errs, immutable(crd.Spec.Group, old.Spec.Group, spec.Child("group"))...)
	errs = append(errs, immutable(crd.Spec.Names.Plural, old.Spec.Names.Plural, spec.Child("names", "plural"))...)
	errs = append(errs, validateNames(&crd.Status.AcceptedNames, field.NewPath("status", "acceptedNames"))...)
	errs = append(errs, validateStoredVersions(crd.Status.StoredVersions, crd.Spec.Versions, field.NewPath("status", "storedVersions"))...)
	errs = append(errs, validateAPIApproval(crd, old)...)
	return append(errs, validatePreserveUnknownFields(crd, old)...)
}

// ValidateStatusUpdate validates a write to the status subresource.
func ValidateStatusUpdate(crd *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	return validateNames(&crd.Status.AcceptedNames, field.NewPath("status", "acceptedNames"))
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

func immutable[T comparable](new, old T, fld *field.Path) field.ErrorList {
	if new != old {
		return field.ErrorList{field.Invalid(fld, new, "field is immutable")}
	}
	return nil
}

func validateName(crd *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	fld := field.NewPath("metadata", "name")
	name := crd.Name
	if name == "" {
		return field.ErrorList{field.Required(fld, "name or generateName is required")}
	}
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(fld, name, msg))
	}
	if name != crd.Spec.Names.Plural+"."+crd.Spec.Group {
		errs = append(errs, field.Invalid(fld, name, `must be spec.names.plural+"."+spec.group`))
	}
	return errs
}

// sharedParts tells which per-version parts are the same in every version.
// Upstream converts v1 to its internal version, which moves such parts to
// the top level (spec.validation, spec.subresources,
// spec.additionalPrinterColumns); its errors then name those paths, and so
// do ours.
type sharedParts struct{ schema, subresources, columns bool }

func shared(versions []apiextensionsv1.CustomResourceDefinitionVersion) sharedParts {
	p := sharedParts{len(versions) > 0, len(versions) > 0, len(versions) > 0}
	for _, v := range versions {
		p.schema = p.schema && equality.Semantic.DeepEqual(v.Schema, versions[0].Schema)
		p.subresources = p.subresources && equality.Semantic.DeepEqual(v.Subresources, versions[0].Subresources)
		p.columns = p.columns && equality.Semantic.DeepEqual(v.AdditionalPrinterColumns, versions[0].AdditionalPrinterColumns)
	}
	return p
}

func validateSpec(spec *apiextensionsv1.CustomResourceDefinitionSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case spec.Group == "":
		errs = append(errs, field.Required(fld.Child("group"), ""))
	case len(utilvalidation.IsDNS1123Subdomain(spec.Group)) > 0:
		errs = append(errs, field.Invalid(fld.Child("group"), spec.Group, strings.Join(utilvalidation.IsDNS1123Subdomain(spec.Group), ",")))
	case len(strings.Split(spec.Group, ".")) < 2:
		errs = append(errs, field.Invalid(fld.Child("group"), spec.Group, "should be a domain with at least one dot"))
	}
	switch spec.Scope {
	case "":
		errs = append(errs, field.Required(fld.Child("scope"), ""))
	case apiextensionsv1.ClusterScoped, apiextensionsv1.NamespaceScoped:
	default:
		errs = append(errs, field.NotSupported(fld.Child("scope"), string(spec.Scope), []string{"Cluster", "Namespaced"}))
	}

	parts := shared(spec.Versions)
	var topSchema *apiextensionsv1.CustomResourceValidation
	if parts.schema {
		topSchema = spec.Versions[0].Schema
	}
	if topSchema == nil || topSchema.OpenAPIV3Schema == nil {
		for i, v := range spec.Versions {
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				errs = append(errs, field.Required(fld.Child("versions").Index(i).Child("schema").Child("openAPIV3Schema"), ""))
			}
		}
	}
	if hasDefaults(spec) && (spec.PreserveUnknownFields) {
		errs = append(errs, field.Invalid(fld.Child("preserveUnknownFields"), true, "must be false in order to use defaults in the schema"))
	}

	storage, unique, anyStatus := 0, true, false
	seen := map[string]bool{}
	for i, v := range spec.Versions {
		vfld := fld.Child("versions").Index(i)
		if v.Storage {
			storage++
		}
		if seen[v.Name] {
			unique = false
		}
		seen[v.Name] = true
		anyStatus = anyStatus || (v.Subresources != nil && v.Subresources.Status != nil)
		if msgs := utilvalidation.IsDNS1035Label(v.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(vfld.Child("name"), v.Name, strings.Join(msgs, ",")))
		}
		if !v.Deprecated && v.DeprecationWarning != nil {
			errs = append(errs, field.Invalid(vfld.Child("deprecationWarning"), v.DeprecationWarning, "can only be set for deprecated versions"))
		}
		if !parts.schema {
			statusEnabled := v.Subresources != nil && v.Subresources.Status != nil
			errs = append(errs, validateSchema(v.Schema, statusEnabled, vfld.Child("schema"))...)
		}
		if !parts.subresources {
			errs = append(errs, validateSubresources(v.Subresources, vfld.Child("subresources"))...)
		}
		if !parts.columns {
			for j := range v.AdditionalPrinterColumns {
				errs = append(errs, validateColumn(&v.AdditionalPrinterColumns[j], vfld.Child("additionalPrinterColumns").Index(j))...)
			}
		}
	}
	if !unique {
		errs = append(errs, field.Invalid(fld.Child("versions"), spec.Versions, "must contain unique version names"))
	}
	if storage != 1 {
		errs = append(errs, field.Invalid(fld.Child("versions"), spec.Versions, "must have exactly one version marked as storage version"))
	}

	names := fld.Child("names")
	for _, n := range []struct{ name, value string }{
		{"plural", spec.Names.Plural}, {"singular", spec.Names.Singular},
		{"kind", spec.Names.Kind}, {"listKind", spec.Names.ListKind},
	} {
		if n.value == "" {
			errs = append(errs, field.Required(names.Child(n.name), ""))
		}
	}
	errs = append(errs, validateNames(&spec.Names, names)...)

	if parts.schema {
		errs = append(errs, validateSchema(topSchema, anyStatus, fld.Child("validation"))...)
	}
	if parts.subresources {
		errs = append(errs, validateSubresources(spec.Versions[0].Subresources, fld.Child("subresources"))...)
	}
	if parts.columns {
		for j := range spec.Versions[0].AdditionalPrinterColumns {
			errs = append(errs, validateColumn(&spec.Versions[0].AdditionalPrinterColumns[j], fld.Child("additionalPrinterColumns").Index(j))...)
		}
	}
	if c := spec.Conversion; c != nil && c.Strategy != apiextensionsv1.NoneConverter && spec.PreserveUnknownFields {
		errs = append(errs, field.Invalid(fld.Child("conversion").Child("strategy"), c.Strategy, "must be None if spec.preserveUnknownFields is true"))
	}
	return append(errs, validateConversion(spec.Conversion, fld.Child("conversion"))...)
}

func hasDefaults(spec *apiextensionsv1.CustomResourceDefinitionSpec) bool {
	var has func(s *apiextensionsv1.JSONSchemaProps) bool
	has = func(s *apiextensionsv1.JSONSchemaProps) bool {
		if s == nil {
			return false
		}
		if s.Default != nil {
			return true
		}
		if s.Items != nil && has(s.Items.Schema) {
			return true
		}
		if s.AdditionalProperties != nil && has(s.AdditionalProperties.Schema) {
			return true
		}
		for _, p := range s.Properties {
			if has(&p) {
				return true
			}
		}
		return false
	}
	for _, v := range spec.Versions {
		if v.Schema != nil && has(v.Schema.OpenAPIV3Schema) {
			return true
		}
	}
	return false
}

func validateNames(n *apiextensionsv1.CustomResourceDefinitionNames, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	label := func(name, value, prefix string, lower bool) {
		v := value
		if lower {
			v = strings.ToLower(v)
		}
		if msgs := utilvalidation.IsDNS1035Label(v); value != "" && len(msgs) > 0 {
			errs = append(errs, field.Invalid(fld.Child(name), value, prefix+strings.Join(msgs, ",")))
		}
	}
	label("plural", n.Plural, "", false)
	label("singular", n.Singular, "", false)
	label("kind", n.Kind, "may have mixed case, but should otherwise match: ", true)
	label("listKind", n.ListKind, "may have mixed case, but should otherwise match: ", true)
	for i, s := range n.ShortNames {
		if msgs := utilvalidation.IsDNS1035Label(s); len(msgs) > 0 {
			errs = append(errs, field.Invalid(fld.Child("shortNames").Index(i), s, strings.Join(msgs, ",")))
		}
	}
	if n.Kind != "" && n.Kind == n.ListKind {
		errs = append(errs, field.Invalid(fld.Child("listKind"), n.ListKind, "kind and listKind may not be the same"))
	}
	for i, c := range n.Categories {
		if msgs := utilvalidation.IsDNS1035Label(c); len(msgs) > 0 {
			errs = append(errs, field.Invalid(fld.Child("categories").Index(i), c, strings.Join(msgs, ",")))
		}
	}
	return errs
}

func validateStoredVersions(stored []string, versions []apiextensionsv1.CustomResourceDefinitionVersion, fld *field.Path) field.ErrorList {
	if len(stored) == 0 {
		return field.ErrorList{field.Invalid(fld, stored, "must have at least one stored version")}
	}
	var errs field.ErrorList
	index := map[string]int{}
	for i, v := range stored {
		index[v] = i
	}
	for _, v := range versions {
		_, ok := index[v.Name]
		if v.Storage && !ok {
			errs = append(errs, field.Invalid(fld, stored, "must have the storage version "+v.Name))
		}
		delete(index, v.Name)
	}
	for i, v := range stored { // in storedVersions order (upstream: map order)
		if _, missing := index[v]; missing && index[v] == i {
			errs = append(errs, field.Invalid(fld.Index(i), v, fmt.Sprintf("missing from spec.versions; %[1]s was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in %[1]s and removes %[1]s from status.storedVersions", v)))
		}
	}
	return errs
}

func validateSubresources(s *apiextensionsv1.CustomResourceSubresources, fld *field.Path) field.ErrorList {
	if s == nil || s.Scale == nil {
		return nil
	}
	var errs field.ErrorList
	check := func(name, path string, prefixes []string, msg string) {
		f := fld.Child("scale." + name)
		if pathErrs := validateSimpleJSONPath(path, f); len(pathErrs) > 0 {
			errs = append(errs, pathErrs...)
			return
		}
		for _, p := range prefixes {
			if strings.HasPrefix(path, p) {
				return
			}
		}
		errs = append(errs, field.Invalid(f, path, msg))
	}
	if s.Scale.SpecReplicasPath == "" {
		errs = append(errs, field.Required(fld.Child("scale.specReplicasPath"), ""))
	} else {
		check("specReplicasPath", s.Scale.SpecReplicasPath, []string{".spec."}, "should be a json path under .spec")
	}
	if s.Scale.StatusReplicasPath == "" {
		errs = append(errs, field.Required(fld.Child("scale.statusReplicasPath"), ""))
	} else {
		check("statusReplicasPath", s.Scale.StatusReplicasPath, []string{".status."}, "should be a json path under .status")
	}
	if p := s.Scale.LabelSelectorPath; p != nil && *p != "" {
		check("labelSelectorPath", *p, []string{".spec.", ".status."}, "should be a json path under either .spec or .status")
	}
	return errs
}

func validateSimpleJSONPath(s string, fld *field.Path) field.ErrorList {
	switch {
	case s == "":
		return field.ErrorList{field.Invalid(fld, s, "must not be empty")}
	case s[0] != '.':
		return field.ErrorList{field.Invalid(fld, s, "must be a simple json path starting with .")}
	}
	return nil
}

func validateColumn(c *apiextensionsv1.CustomResourceColumnDefinition, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(fld.Child("name"), ""))
	}
	typesMsg := "must be one of " + strings.Join(printerColumnTypes, ",")
	if c.Type == "" {
		errs = append(errs, field.Required(fld.Child("type"), typesMsg))
	} else if !slices.Contains(printerColumnTypes, c.Type) {
		errs = append(errs, field.Invalid(fld.Child("type"), c.Type, typesMsg))
	}
	if c.Format != "" && !slices.Contains(printerColumnFormats, c.Format) {
		errs = append(errs, field.Invalid(fld.Child("format"), c.Format, "must be one of "+strings.Join(printerColumnFormats, ",")))
	}
	if c.JSONPath == "" {
		errs = append(errs, field.Required(fld.Child("JSONPath"), ""))
	} else {
		errs = append(errs, validateSimpleJSONPath(c.JSONPath, fld.Child("JSONPath"))...)
	}
	return errs
}

// validateConversion checks spec.conversion with upstream's internal field
// paths (webhookClientConfig, conversionReviewVersions), which its errors
// name even for v1 objects.
func validateConversion(c *apiextensionsv1.CustomResourceConversion, fld *field.Path) field.ErrorList {
	if c == nil {
		return nil
	}
	var errs field.ErrorList
	var cc *apiextensionsv1.WebhookClientConfig
	var reviewVersions []string
	if c.Webhook != nil {
		cc, reviewVersions = c.Webhook.ClientConfig, c.Webhook.ConversionReviewVersions
	}
	switch c.Strategy {
	case "":
		errs = append(errs, field.Required(fld.Child("strategy"), ""))
	case apiextensionsv1.NoneConverter, apiextensionsv1.WebhookConverter:
	default:
		errs = append(errs, field.NotSupported(fld.Child("strategy"), string(c.Strategy), []string{"None", "Webhook"}))
	}
	ccfld := fld.Child("webhookClientConfig")
	if c.Strategy != apiextensionsv1.WebhookConverter {
		if cc != nil {
			errs = append(errs, field.Forbidden(ccfld, "should not be set when strategy is not set to Webhook"))
		}
		if len(reviewVersions) > 0 {
			errs = append(errs, field.Forbidden(fld.Child("conversionReviewVersions"), "should not be set when strategy is not set to Webhook"))
		}
		return errs
	}
	switch {
	case cc == nil:
		errs = append(errs, field.Required(ccfld, "required when strategy is set to Webhook"))
	case (cc.URL == nil) == (cc.Service == nil):
		errs = append(errs, field.Required(ccfld, "exactly one of url or service is required"))
	case cc.URL != nil:
		errs = append(errs, validateWebhookURL(*cc.URL, ccfld.Child("url"))...)
	default:
		sfld := ccfld.Child("service")
		if cc.Service.Name == "" {
			errs = append(errs, field.Required(sfld.Child("name"), ""))
		}
		if cc.Service.Namespace == "" {
			errs = append(errs, field.Required(sfld.Child("namespace"), ""))
		}
		if p := cc.Service.Port; p != nil {
			if msgs := utilvalidation.IsValidPortNum(int(*p)); len(msgs) > 0 {
				errs = append(errs, field.Invalid(sfld.Child("port"), *p, "port is not valid: "+strings.Join(msgs, ", ")))
			}
		}
		if p := cc.Service.Path; p != nil && *p != "" && !strings.HasPrefix(*p, "/") {
			errs = append(errs, field.Invalid(sfld.Child("path"), *p, "must start with a '/'"))
		}
	}
	rfld := fld.Child("conversionReviewVersions")
	if len(reviewVersions) == 0 {
		return append(errs, field.Required(rfld, ""))
	}
	seen, recognised := map[string]bool{}, false
	for i, v := range reviewVersions {
		if seen[v] {
			errs = append(errs, field.Invalid(rfld.Index(i), v, "duplicate version"))
			continue
		}
		seen[v] = true
		for _, msg := range utilvalidation.IsDNS1035Label(v) {
			errs = append(errs, field.Invalid(rfld.Index(i), v, msg))
		}
		recognised = recognised || slices.Contains(conversionReviewVersions, v)
	}
	if !recognised {
		errs = append(errs, field.Invalid(rfld, reviewVersions, "must include at least one of "+strings.Join(conversionReviewVersions, ", ")))
	}
	return errs
}

func validateWebhookURL(raw string, fld *field.Path) field.ErrorList {
	const form = "; desired format: https://host[/path]"
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Required(fld, "url must be a valid URL: "+err.Error()+form)}
	}
	var errs field.ErrorList
	if u.Scheme != "https" {
		errs = append(errs, field.Invalid(fld, u.Scheme, "'https' is the only allowed URL scheme"+form))
	}
	if u.Host == "" {
		errs = append(errs, field.Invalid(fld, u.Host, "host must be specified"+form))
	}
	if u.User != nil {
		errs = append(errs, field.Invalid(fld, u.User.String(), "user information is not permitted in the URL"))
	}
	if u.Fragment != "" {
		errs = append(errs, field.Invalid(fld, u.Fragment, "fragments are not permitted in the URL"))
	}
	if u.RawQuery != "" {
		errs = append(errs, field.Invalid(fld, u.RawQuery, "query parameters are not permitted in the URL"))
	}
	return errs
}

// validateAPIApproval: groups under k8s.io and kubernetes.io need the
// api-approved.kubernetes.io annotation (a URL, or "unapproved…").
func validateAPIApproval(crd, old *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	g := crd.Spec.Group
	if !(g == "k8s.io" || strings.HasSuffix(g, ".k8s.io") || g == "kubernetes.io" || strings.HasSuffix(g, ".kubernetes.io")) {
		return nil
	}
	state, msg := approvalState(crd.Annotations)
	if old != nil {
		if oldState, _ := approvalState(old.Annotations); oldState == state {
			return nil
		}
	}
	fld := field.NewPath("metadata", "annotations").Key(apiextensionsv1.KubeAPIApprovedAnnotation)
	switch state {
	case "missing":
		return field.ErrorList{field.Required(fld, msg)}
	case "invalid":
		return field.ErrorList{field.Invalid(fld, crd.Annotations[apiextensionsv1.KubeAPIApprovedAnnotation], msg)}
	}
	return nil
}

func approvalState(annotations map[string]string) (state, msg string) {
	a := annotations[apiextensionsv1.KubeAPIApprovedAnnotation]
	u, err := url.ParseRequestURI(a)
	switch {
	case a == "":
		return "missing", fmt.Sprintf("protected groups must have approval annotation %q, see https://github.com/kubernetes/enhancements/pull/1111", apiextensionsv1.KubeAPIApprovedAnnotation)
	case strings.HasPrefix(a, "unapproved"):
		return "bypassed", ""
	case err == nil && u.Host != "" && u.Scheme != "":
		return "approved", ""
	}
	return "invalid", fmt.Sprintf("protected groups must have approval annotation %q with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111", apiextensionsv1.KubeAPIApprovedAnnotation)
}

func validatePreserveUnknownFields(crd, old *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	if old != nil && old.Spec.PreserveUnknownFields {
		return nil
	}
	if crd.Spec.PreserveUnknownFields {
		return field.ErrorList{field.Invalid(field.NewPath("spec").Child("preserveUnknownFields"), true, "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead")}
	}
	return nil
}
