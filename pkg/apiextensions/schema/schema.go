package schema

import (
	"fmt"
	"regexp"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// Schema is the compiled OpenAPI v3 schema of one CRD version. It is
// immutable after New and safe for concurrent use.
type Schema struct {
	root *node // nil: accept and keep anything
}

// node is one compiled schema level. The structural part (type,
// properties, items, additionalProperties, extensions) drives pruning and
// defaulting; the value validations (and allOf/anyOf/oneOf/not, which may
// only hold value validations in a structural schema) drive Validate.
type node struct {
	typ         string
	format      string // after dropping formats upstream ignores
	nullable    bool
	preserve    bool // x-kubernetes-preserve-unknown-fields
	embedded    bool // x-kubernetes-embedded-resource
	intOrString bool // x-kubernetes-int-or-string

	properties map[string]*node
	items      *node
	// hasAdditional is set when additionalProperties is present;
	// additional is its schema (nil for additionalProperties: true/false).
	hasAdditional bool
	additional    *node

	def    any // the default value, already pruned; nil if none
	hasDef bool

	listType    string
	listMapKeys []string

	props   *apiextensionsv1.JSONSchemaProps // numeric/length bounds, required
	enum    []any
	pattern *regexp.Regexp

	allOf, anyOf, oneOf []*node
	not                 *node
}

// New compiles props. A nil props yields a Schema that keeps and accepts
// anything. It fails only on what cannot be compiled (a bad pattern, a
// default or enum that is not JSON); whether the schema is acceptable for a
// CRD is IsStructural's and the CRD validation's business.
func New(props *apiextensionsv1.JSONSchemaProps) (*Schema, error) {
	if props == nil {
		return &Schema{}, nil
	}
	n, err := compile(props)
	if err != nil {
		return nil, err
	}
	n.pruneDefaults()
	return &Schema{root: n}, nil
}

func compile(p *apiextensionsv1.JSONSchemaProps) (*node, error) {
	n := &node{
		typ:         p.Type,
		format:      supportedFormat(p),
		nullable:    p.Nullable,
		preserve:    p.XPreserveUnknownFields != nil && *p.XPreserveUnknownFields,
		embedded:    p.XEmbeddedResource,
		intOrString: p.XIntOrString,
		listMapKeys: p.XListMapKeys,
		props:       p,
	}
	if p.XListType != nil {
		n.listType = *p.XListType
	}
	if p.Pattern != "" {
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p.Pattern, err)
		}
		n.pattern = re
	}
	if p.Default != nil {
		v, err := decodeJSON(p.Default)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		n.def, n.hasDef = v, v != nil
	}
	for i := range p.Enum {
		v, err := decodeJSON(&p.Enum[i])
		if err != nil {
			return nil, fmt.Errorf("enum[%d]: %w", i, err)
		}
		n.enum = append(n.enum, v)
	}
	if len(p.Properties) > 0 {
		n.properties = make(map[string]*node, len(p.Properties))
		for k, sub := range p.Properties {
			c, err := compile(&sub)
			if err != nil {
				return nil, fmt.Errorf("properties[%s]: %w", k, err)
			}
			n.properties[k] = c
		}
	}
	var err error
	if p.Items != nil && p.Items.Schema != nil {
		if n.items, err = compile(p.Items.Schema); err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
	}
	if ap := p.AdditionalProperties; ap != nil {
		n.hasAdditional = true
		if ap.Schema != nil {
			if n.additional, err = compile(ap.Schema); err != nil {
				return nil, fmt.Errorf("additionalProperties: %w", err)
			}
		}
	}
	for _, l := range []struct {
		name string
		in   []apiextensionsv1.JSONSchemaProps
		out  *[]*node
	}{{"allOf", p.AllOf, &n.allOf}, {"anyOf", p.AnyOf, &n.anyOf}, {"oneOf", p.OneOf, &n.oneOf}} {
		for i := range l.in {
			c, err := compile(&l.in[i])
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", l.name, i, err)
			}
			*l.out = append(*l.out, c)
		}
	}
	if p.Not != nil {
		if n.not, err = compile(p.Not); err != nil {
			return nil, fmt.Errorf("not: %w", err)
		}
	}
	return n, nil
}

// decodeJSON decodes like the request decoder does: integers become
// int64, other numbers float64.
func decodeJSON(j *apiextensionsv1.JSON) (any, error) {
	if j == nil || len(j.Raw) == 0 {
		return nil, nil
	}
	var v any
	if err := utiljson.Unmarshal(j.Raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// stringFormats are the string formats upstream validates in CRD schemas;
// any other format is ignored (as upstream's
// StripUnsupportedFormatsPostProcessor does). Names are compared without
// dashes, so "date-time" is "datetime".
var stringFormats = map[string]bool{
	"bsonobjectid": true, "uri": true, "email": true, "hostname": true,
	"ipv4": true, "ipv6": true, "cidr": true, "mac": true,
	"uuid": true, "uuid3": true, "uuid4": true, "uuid5": true,
	"isbn": true, "isbn10": true, "isbn13": true, "creditcard": true,
	"ssn": true, "hexcolor": true, "rgbcolor": true, "byte": true,
	"password": true, "date": true, "duration": true, "datetime": true,
	"k8sshortname": true, "k8slongname": true,
}

func supportedFormat(p *apiextensionsv1.JSONSchemaProps) string {
	typ := p.Type
	if p.XIntOrString {
		typ = "" // upstream sees the type list [integer,string]: string formats apply
	}
	switch typ {
	case "", "string":
		if stringFormats[strings.ReplaceAll(p.Format, "-", "")] {
			return p.Format
		}
	case "integer":
		if p.Format == "int32" || p.Format == "int64" {
			return p.Format
		}
	case "number":
		if p.Format == "float" || p.Format == "double" {
			return p.Format
		}
	}
	return ""
}

// child returns the schema of key k in an object of schema n, and whether
// the key is declared (as a property or by additionalProperties).
func (n *node) child(k string) (*node, bool) {
	if c, ok := n.properties[k]; ok {
		return c, true
	}
	return n.additional, n.hasAdditional
}
