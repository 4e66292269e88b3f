package printers

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for rbac.authorization.k8s.io bindings. Roles and ClusterRoles
// have none upstream and get the default Name/Created At table.

func addRBACHandlers(g *Generator) {
	// Upstream describes roleRef with the v1beta1 wording, which lacks v1's
	// "This field is immutable."; keep it byte-for-byte.
	bindingColumns := func(kind string, roleRefDoc string) []metav1.TableColumnDefinition {
		return []metav1.TableColumnDefinition{
			nameColumn(),
			col("Role", "string", roleRefDoc),
			ageColumn(),
			wide("Users", "string", "Users in the "+kind),
			wide("Groups", "string", "Groups in the "+kind),
			wide("ServiceAccounts", "string", "ServiceAccounts in the "+kind),
		}
	}
	register(g, printerFor[*rbacv1.RoleBinding]{
		columns: bindingColumns("roleBinding", rbacv1beta1.RoleBinding{}.SwaggerDoc()["roleRef"]),
		cells: func(b *rbacv1.RoleBinding, pc *printContext) ([]interface{}, error) {
			return bindingCells(b.Name, b.RoleRef, b.Subjects, since(pc, b.CreationTimestamp)), nil
		},
	})
	register(g, printerFor[*rbacv1.ClusterRoleBinding]{
		columns: bindingColumns("clusterRoleBinding", rbacv1beta1.ClusterRoleBinding{}.SwaggerDoc()["roleRef"]),
		cells: func(b *rbacv1.ClusterRoleBinding, pc *printContext) ([]interface{}, error) {
			return bindingCells(b.Name, b.RoleRef, b.Subjects, since(pc, b.CreationTimestamp)), nil
		},
	})
}

// bindingCells prints "Kind/name" for the role and the subjects split by
// kind; service accounts as namespace/name.
func bindingCells(name string, ref rbacv1.RoleRef, subjects []rbacv1.Subject, age string) []interface{} {
	var users, groups, sas []string
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			sas = append(sas, s.Namespace+"/"+s.Name)
		case rbacv1.UserKind:
			users = append(users, s.Name)
		case rbacv1.GroupKind:
			groups = append(groups, s.Name)
		}
	}
	return []interface{}{name, ref.Kind + "/" + ref.Name, age,
		strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}
}
