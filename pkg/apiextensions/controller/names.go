package controller

import (
	"context"
	"fmt"
	"reflect"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/tinykube/tinykube/pkg/registry/apiextensions/customresourcedefinition"
)

var (
	setCondition = customresourcedefinition.SetCondition
	isTrue       = customresourcedefinition.IsTrue
)

// acceptNames is upstream's naming controller: each requested name is
// accepted unless another CRD of the group (or this one, under another
// accepted name) has accepted it. Names that conflict keep their
// previously accepted value and set NamesAccepted False with the reason
// of the last conflict found. Until Established, a CRD whose names are not
// all accepted is Established False, NotAccepted.
func (c *Controller) acceptNames(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) error {
	if apiequality.Semantic.DeepEqual(crd.Spec.Names, crd.Status.AcceptedNames) && isTrue(crd, apiextensionsv1.NamesAccepted) {
		return nil
	}
	list, err := c.cfg.CRDs.ListFromCache(ctx, "")
	if err != nil {
		return err
	}
	resources, kinds := sets.New[string](), sets.New[string]()
	for _, other := range list.(*apiextensionsv1.CustomResourceDefinitionList).Items {
		if other.Spec.Group != crd.Spec.Group {
			continue
		}
		n := other.Status.AcceptedNames
		if other.Name == crd.Name {
			n = crd.Status.AcceptedNames
		}
		resources.Insert(n.Plural, n.Singular)
		resources.Insert(n.ShortNames...)
		kinds.Insert(n.Kind, n.ListKind)
	}

	cond := apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.NamesAccepted,
		Status: apiextensionsv1.ConditionTrue, Reason: "NoConflicts", Message: "no conflicts found"}
	conflict := func(reason string, err error) {
		cond.Status, cond.Reason, cond.Message = apiextensionsv1.ConditionFalse, reason, err.Error()
	}
	want, accepted := crd.Spec.Names, crd.Status.AcceptedNames
	next := accepted
	if err := freshOrOurs(want.Plural, accepted.Plural, resources); err != nil {
		conflict("PluralConflict", err)
	} else {
		next.Plural = want.Plural
	}
	if err := freshOrOurs(want.Singular, accepted.Singular, resources); err != nil {
		conflict("SingularConflict", err)
	} else {
		next.Singular = want.Singular
	}
	if !reflect.DeepEqual(want.ShortNames, accepted.ShortNames) {
		ours := sets.New(accepted.ShortNames...)
		var msgs []string
		for _, s := range want.ShortNames {
			if ours.Has(s) {
				continue
			}
			if err := freshOrOurs(s, "", resources); err != nil {
				msgs = append(msgs, err.Error())
			}
		}
		switch len(msgs) {
		case 0:
			next.ShortNames = want.ShortNames
		case 1:
			conflict("ShortNamesConflict", fmt.Errorf("%s", msgs[0]))
		default:
			conflict("ShortNamesConflict", fmt.Errorf("%v", msgs))
		}
	}
	if err := freshOrOurs(want.Kind, accepted.Kind, kinds); err != nil {
		conflict("KindConflict", err)
	} else {
		next.Kind = want.Kind
	}
	if err := freshOrOurs(want.ListKind, accepted.ListKind, kinds); err != nil {
		conflict("ListKindConflict", err)
	} else {
		next.ListKind = want.ListKind
	}
	next.Categories = want.Categories

	crd.Status.AcceptedNames = next
	setCondition(crd, cond)
	if !isTrue(crd, apiextensionsv1.Established) && cond.Status != apiextensionsv1.ConditionTrue {
		setCondition(crd, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Established,
			Status: apiextensionsv1.ConditionFalse, Reason: "NotAccepted", Message: "not all names are accepted"})
	}
	return nil
}

// freshOrOurs accepts name if it is already ours or nobody's.
func freshOrOurs(name, accepted string, used sets.Set[string]) error {
	if name == accepted || !used.Has(name) {
		return nil
	}
	return fmt.Errorf("%q is already in use", name)
}

// statusEqual compares the status of two CRDs, condition times included.
func statusEqual(a, b *apiextensionsv1.CustomResourceDefinition) bool {
	return apiequality.Semantic.DeepEqual(a.Status, b.Status)
}
