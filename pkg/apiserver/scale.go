package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	restful "github.com/emicklei/go-restful/v3"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

var scaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

// scaleEndpoint serves …/scale: an autoscaling/v1 Scale view of the
// replicas of a built-in workload (its store's generic.Scaler) or of a
// custom resource (the CRD's scale paths), as the endpoint's Types read
// and write it.
type scaleEndpoint struct{ endpoint }

func (e *scaleEndpoint) get(req *restful.Request, resp *restful.Response) {
	ns, name := scope(req)
	obj, err := e.store.Get(reqCtx(req), ns, name, nil)
	if err != nil {
		fail(resp, req, err)
		return
	}
	sc, err := e.types.Scale(obj)
	if err != nil {
		fail(resp, req, err)
		return
	}
	e.respondScale(resp, req, sc)
}

func (e *scaleEndpoint) respondScale(resp *restful.Response, req *restful.Request, sc *autoscalingv1.Scale) {
	out, err := negotiate(req.Request, false)
	if err != nil {
		fail(resp, req, err)
		return
	}
	writeObject(resp.ResponseWriter, req.Request, http.StatusOK, sc, autoscalingv1.SchemeGroupVersion, out)
}

// update serves PUT of a Scale.
func (e *scaleEndpoint) update(req *restful.Request, resp *restful.Response) {
	body, err := readBody(req)
	if err != nil {
		fail(resp, req, err)
		return
	}
	obj, err := decodeBody(req.Request, resp, body, scaleGVK, &autoscalingv1.Scale{})
	if err != nil {
		fail(resp, req, err)
		return
	}
	want := obj.(*autoscalingv1.Scale)
	e.writeScale(req, resp, func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error) { return want, nil })
}

// patch serves PATCH of a Scale (kubectl scale sends a merge patch).
func (e *scaleEndpoint) patch(req *restful.Request, resp *restful.Response) {
	body, err := readBody(req)
	if err != nil {
		fail(resp, req, err)
		return
	}
	pt := types.PatchType(mediaTypeOf(req.Request.Header.Get("Content-Type")))
	e.writeScale(req, resp, func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
		cur.SetGroupVersionKind(scaleGVK)
		js, err := json.Marshal(cur)
		if err != nil {
			return nil, err
		}
		var patched []byte
		switch pt {
		case types.MergePatchType:
			patched, err = jsonpatch.MergePatch(js, body)
		case types.StrategicMergePatchType:
			patched, err = strategicpatch.StrategicMergePatch(js, body, &autoscalingv1.Scale{})
		case types.JSONPatchType:
			var p jsonpatch.Patch
			if p, err = decodeJSONPatch(body); err == nil {
				patched, err = p.Apply(js)
			}
		default:
			return nil, unsupportedMediaType(string(pt))
		}
		if err != nil {
			return nil, patchError(err)
		}
		out := &autoscalingv1.Scale{}
		if err := json.Unmarshal(patched, out); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return out, nil
	})
}

// writeScale updates the parent's replicas from the Scale fn returns.
func (e *scaleEndpoint) writeScale(req *restful.Request, resp *restful.Response, fn func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error)) {
	ns, name := scope(req)
	dry, err := dryRun(req.Request.URL.Query()["dryRun"])
	if err != nil {
		fail(resp, req, err)
		return
	}
	out, _, err := e.store.Update(reqCtx(req), ns, name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(e.resource().GVR().GroupResource(), name)
		}
		sc, err := e.types.Scale(cur)
		if err != nil {
			return nil, err
		}
		want, err := fn(sc)
		if err != nil {
			return nil, err
		}
		if want.Spec.Replicas < 0 {
			return nil, apierrors.NewInvalid(scaleGVK.GroupKind(), name, field.ErrorList{
				field.Invalid(field.NewPath("spec", "replicas"), want.Spec.Replicas, "must be greater than or equal to 0")})
		}
		if want.ResourceVersion != "" && want.ResourceVersion != objectMeta(cur).GetResourceVersion() {
			return nil, apierrors.NewConflict(e.resource().GVR().GroupResource(), name, errors.New(generic.OptimisticLockMsg))
		}
		if err := e.types.SetReplicas(cur, want.Spec.Replicas); err != nil {
			return nil, err
		}
		return cur, nil
	}, generic.UpdateOptions{DryRun: dry})
	if err != nil {
		fail(resp, req, err)
		return
	}
	sc, err := e.types.Scale(out)
	if err != nil {
		fail(resp, req, err)
		return
	}
	e.respondScale(resp, req, sc)
}
