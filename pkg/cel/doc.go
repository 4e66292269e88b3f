// Package cel is tinykube's Common Expression Language base: the CEL
// environments admission policies and webhook matchConditions compile
// against, with the variables upstream declares (object, oldObject,
// request, params, namespaceObject, variables, authorizer) and the
// Kubernetes extension functions policies use (lists, regex, strings).
//
// It sits below the admission plugins (pkg/admissionpolicy), which compile
// each policy's expressions once per generation (Compile) and evaluate the
// programs per request (Eval), and below validation
// (pkg/api/validation), which refuses expressions that do not compile with
// upstream's "compilation failed: …" field errors. It follows upstream's
// k8s.io/apiserver/pkg/cel and .../admission/plugin/cel in behaviour; the
// code is our own, on github.com/google/cel-go.
package cel
