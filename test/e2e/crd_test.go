package e2e

import (
	"strings"
	"testing"
)

// TestKubectlCRD is a kubectl session with a CustomResourceDefinition,
// kept apart from TestKubectlSession: apply a CRD and objects of it, get
// them with their printer columns, by short name and through the "all"
// category, explain their schema, scale them, apply server-side, then
// delete the CRD and its objects with it.
func TestKubectlCRD(t *testing.T) {
	eachKubectl(t, "CRD session", func(t *testing.T, k *kubectl, _ string) { crdSession(t, k) })
}

const crdManifest = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.example.com
spec:
  group: e2e.example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wdg]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - name: Size
      type: string
      jsonPath: .spec.size
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        description: A Widget is a thing made for the end-to-end test.
        properties:
          spec:
            type: object
            description: The widget's desired state.
            properties:
              size:
                type: string
                description: How big the widget is.
                default: medium
              replicas:
                type: integer
                description: How many widgets to make.
                minimum: 0
          status:
            type: object
            properties:
              replicas: {type: integer}
`

const widgetManifest = `apiVersion: e2e.example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: crd-e2e
spec:
  size: small
  replicas: 1
`

func crdSession(t *testing.T, k *kubectl) {
	dir := t.TempDir()
	in := func(args ...string) []string { return append(args, "-n", "crd-e2e") }
	k.run(t, "create", "namespace", "crd-e2e")
	k.run(t, "apply", "-f", writeFile(t, dir, "crd.yaml", crdManifest, 0o644))
	k.run(t, "wait", "--for", "condition=Established", "--timeout", "30s", "crd/widgets.e2e.example.com")

	// kubectl discovers the new resource (its cache is refreshed on a miss).
	out := k.run(t, "api-resources", "--api-group", "e2e.example.com")
	rows := expectHeader(t, out, "NAME SHORTNAMES APIVERSION NAMESPACED KIND")
	expectCells(t, row(t, rows, 0, "widgets"), "widgets", "wdg", "e2e.example.com/v1", "true", "Widget")

	out = k.run(t, "apply", "-f", writeFile(t, dir, "widget.yaml", widgetManifest, 0o644))
	expectMatch(t, out, `widget.e2e.example.com/w1 created`)
	// A second apply patches (merge patch for custom resources).
	out = k.run(t, "apply", "-f", writeFile(t, dir, "widget2.yaml", strings.Replace(widgetManifest, "size: small", "size: large", 1), 0o644))
	expectMatch(t, out, `widget.e2e.example.com/w1 configured`)

	out = k.run(t, in("get", "widgets")...)
	rows = expectHeader(t, out, "NAME SIZE REPLICAS AGE")
	expectCells(t, row(t, rows, 0, "w1"), "w1", "large", "1")
	rows = table(k.run(t, in("get", "wdg")...))
	expectCells(t, row(t, rows, 0, "w1"), "w1", "large")
	expectMatch(t, k.run(t, in("get", "all")...), `widget\.e2e\.example\.com/w1`)

	out = k.run(t, "explain", "widgets.spec")
	expectMatch(t, out, `(?s)KIND:\s+Widget.*FIELD:\s+spec.*How big the widget is`)

	expectMatch(t, k.run(t, in("scale", "widget", "w1", "--replicas", "3")...), `scaled`)
	rows = table(k.run(t, in("get", "widgets")...))
	expectCells(t, row(t, rows, 0, "w1"), "w1", "large", "3")

	// Server-side apply of a second widget; the default fills in size.
	w2 := strings.NewReplacer("name: w1", "name: w2", "  size: small\n", "").Replace(widgetManifest)
	k.run(t, "apply", "--server-side", "-f", writeFile(t, dir, "w2.yaml", w2, 0o644))
	rows = table(k.run(t, in("get", "widgets")...))
	expectCells(t, row(t, rows, 0, "w2"), "w2", "medium", "1")

	// Unknown fields: kubectl validates strictly by default.
	bad := strings.Replace(widgetManifest, "replicas: 1", "replicas: 1\n  colour: red", 1)
	k.fail(t, `unknown field "spec.colour"`, "apply", "-f", writeFile(t, dir, "bad.yaml", bad, 0o644))

	out = k.run(t, "delete", "crd", "widgets.e2e.example.com")
	expectMatch(t, out, `customresourcedefinition.apiextensions.k8s.io "widgets.e2e.example.com" deleted`)
	// kubectl's discovery cache still maps widgets: the list is upstream's
	// 404 for a path nothing serves.
	k.fail(t, `the server could not find the requested resource`, in("get", "widgets")...)
	k.fail(t, `the server doesn't have a resource type "widgets"`, in("get", "widgets.e2e.example.com", "--cache-dir", t.TempDir())...)
}
