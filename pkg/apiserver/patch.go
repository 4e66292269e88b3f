package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// MaxJSONPatchOperations caps JSON patches, as upstream (10,000).
const MaxJSONPatchOperations = 10000

// patch serves PATCH: JSON patch, JSON merge patch, strategic merge patch
// and server-side apply, on the resource or its status.
func (e *endpoint) patch(req *restful.Request, resp *restful.Response) {
	ns, name := scope(req)
	opts := &metav1.PatchOptions{}
	if err := decodeQuery(req.Request.URL.Query(), opts); err != nil {
		fail(resp, req, err)
		return
	}
	dry, err := dryRun(opts.DryRun)
	if err != nil {
		fail(resp, req, err)
		return
	}
	validation, err := FieldValidation(req.Request)
	if err != nil {
		fail(resp, req, err)
		return
	}
	pt := types.PatchType(mediaTypeOf(req.Request.Header.Get("Content-Type")))
	switch pt {
	case types.StrategicMergePatchType, types.JSONPatchType, types.MergePatchType, types.ApplyYAMLPatchType:
		if err := e.types.CheckPatch(pt); err != nil {
			fail(resp, req, err)
			return
		}
	default:
		fail(resp, req, unsupportedMediaType(string(pt)))
		return
	}
	if pt != types.ApplyYAMLPatchType && opts.Force != nil {
		fail(resp, req, apierrors.NewBadRequest("force may only be set for server-side apply patches"))
		return
	}
	body, err := readBody(req)
	if err != nil {
		fail(resp, req, err)
		return
	}
	manager := opts.FieldManager
	if pt == types.ApplyYAMLPatchType && manager == "" {
		fail(resp, req, apierrors.NewBadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"))
		return
	}
	if manager, err = e.manager(req, manager); err != nil {
		fail(resp, req, err)
		return
	}
	var jp jsonpatch.Patch
	if pt == types.JSONPatchType {
		if jp, err = decodeJSONPatch(body); err != nil {
			fail(resp, req, err)
			return
		}
	}
	fn := func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current != nil {
			current = e.toVersion(current)
		}
		if pt == types.ApplyYAMLPatchType {
			obj, err := e.apply(current, body, manager, opts.Force != nil && *opts.Force)
			if err == nil {
				err = strictApply(resp, validation, body)
			}
			if err == nil {
				err = e.types.AdmitApplied(resp, validation, obj)
			}
			return obj, err
		}
		if current == nil {
			return nil, apierrors.NewNotFound(e.resource().GVR().GroupResource(), name)
		}
		currentJSON, err := json.Marshal(current)
		if err != nil {
			return nil, err
		}
		patched, err := applyPatch(pt, currentJSON, body, jp, e.store.New())
		if err != nil {
			return nil, err
		}
		obj, err := e.types.DecodePatched(resp, validation, patched)
		if err != nil {
			return nil, err
		}
		return e.trackFields(current, obj, manager)
	}
	out, created, err := e.store.Update(reqCtx(req), ns, name, fn, generic.UpdateOptions{
		DryRun: dry, Strategy: e.strategy, ForceAllowCreate: pt == types.ApplyYAMLPatchType && e.sub == ""})
	if err != nil {
		fail(resp, req, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	e.respond(resp, req, code, out)
}

// apply runs server-side apply of a YAML (or JSON) configuration.
func (e *endpoint) apply(current runtime.Object, body []byte, manager string, force bool) (runtime.Object, error) {
	fm, err := e.fields()
	if err != nil {
		return nil, err
	}
	config, err := e.types.ApplyConfiguration(body)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	patchObj := &unstructured.Unstructured{Object: config}
	gvk := e.resource().GVK()
	if e.writesObject() {
		if patchObj.GetAPIVersion() != gvk.GroupVersion().String() || patchObj.GetKind() != gvk.Kind {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("apply patch must have apiVersion %q and kind %q", gvk.GroupVersion(), gvk.Kind))
		}
	}
	live := current
	if live == nil {
		live = e.store.New()
		m := objectMeta(live)
		m.SetName(patchObj.GetName())
		m.SetNamespace(patchObj.GetNamespace())
	}
	obj, err := fm.Apply(live, patchObj, manager, force)
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// strictApply reports duplicate keys in an apply configuration under
// fieldValidation Strict (400) or Warn (a warning), after the apply itself
// succeeded, as upstream's apply patcher does. (Unknown fields of an apply
// configuration are the field manager's to refuse.)
func strictApply(resp *restful.Response, validation string, body []byte) error {
	if validation != metav1.FieldValidationStrict && validation != metav1.FieldValidationWarn {
		return nil
	}
	err := yaml.UnmarshalStrict(body, &map[string]any{})
	switch {
	case err == nil:
		return nil
	case validation == metav1.FieldValidationStrict:
		return apierrors.NewBadRequest(fmt.Sprintf("error strict decoding patch: %v", err))
	}
	AddWarning(resp, err.Error())
	return nil
}

// applyPatch applies a JSON patch (jp, already decoded from body), JSON
// merge patch or strategic merge patch (schema: an empty object of the
// target kind) to the current object's JSON.
func applyPatch(pt types.PatchType, current, body []byte, jp jsonpatch.Patch, schema runtime.Object) ([]byte, error) {
	var patched []byte
	var err error
	switch pt {
	case types.JSONPatchType:
		patched, err = applyJSONPatch(jp, current)
	case types.MergePatchType:
		patched, err = jsonpatch.MergePatch(current, body)
	case types.StrategicMergePatchType:
		patched, err = strategicpatch.StrategicMergePatch(current, body, schema)
	default:
		return nil, unsupportedMediaType(string(pt))
	}
	if err != nil {
		return nil, patchError(err)
	}
	return patched, nil
}

// errJSONPatchPanic marks a JSON patch the library panicked on.
var errJSONPatchPanic = errors.New("invalid JSON patch")

// applyJSONPatch applies jp to doc. json-patch dereferences nil on some
// malformed operations (a "test" without a value on the root path, found
// by FuzzApplyPatch); that must be the client's 422, not a server panic.
func applyJSONPatch(jp jsonpatch.Patch, doc []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: %v", errJSONPatchPanic, r)
		}
	}()
	return jp.Apply(doc)
}

// decodeJSONPatch parses a JSON patch and enforces the operation cap.
func decodeJSONPatch(body []byte) (jsonpatch.Patch, error) {
	var ops []json.RawMessage
	if err := json.Unmarshal(body, &ops); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: %v", err))
	}
	if len(ops) > MaxJSONPatchOperations {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf(
			"The allowed maximum operations in a JSON patch is %d, got %d", MaxJSONPatchOperations, len(ops)))
	}
	p, err := jsonpatch.DecodePatch(body)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: %v", err))
	}
	return p, nil
}

// patchError maps a failed patch application to 422 (a valid patch that
// does not apply) or 400.
func patchError(err error) error {
	if errors.Is(err, jsonpatch.ErrTestFailed) || errors.Is(err, jsonpatch.ErrMissing) || errors.Is(err, errJSONPatchPanic) {
		return apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", err.Error(), 0, false)
	}
	return apierrors.NewBadRequest(err.Error())
}

// mediaTypeOf strips parameters from a Content-Type.
func mediaTypeOf(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return ct
}
