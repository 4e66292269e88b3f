package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
)

// Informers are the four informers the authorizer reads; the server
// builds them over its own watch caches (no HTTP round trip), a
// stand-alone authorizer could use client-go's informer factory.
type Informers struct {
	Roles, RoleBindings, ClusterRoles, ClusterRoleBindings cache.SharedIndexInformer
}

// HasSynced reports whether all four have listed once.
func (i Informers) HasSynced() bool {
	return i.Roles.HasSynced() && i.RoleBindings.HasSynced() && i.ClusterRoles.HasSynced() && i.ClusterRoleBindings.HasSynced()
}

// Run runs the four informers until stop is closed.
func (i Informers) Run(stop <-chan struct{}) {
	for _, inf := range []cache.SharedIndexInformer{i.Roles, i.RoleBindings, i.ClusterRoles, i.ClusterRoleBindings} {
		go inf.Run(stop)
	}
}

// listerSource reads the informers' caches through client-go's listers.
type listerSource struct {
	roles               rbaclisters.RoleLister
	roleBindings        rbaclisters.RoleBindingLister
	clusterRoles        rbaclisters.ClusterRoleLister
	clusterRoleBindings rbaclisters.ClusterRoleBindingLister
}

var _ Source = listerSource{}

// NewInformerSource returns a Source over the informers' caches.
func NewInformerSource(i Informers) Source {
	return listerSource{
		roles:               rbaclisters.NewRoleLister(i.Roles.GetIndexer()),
		roleBindings:        rbaclisters.NewRoleBindingLister(i.RoleBindings.GetIndexer()),
		clusterRoles:        rbaclisters.NewClusterRoleLister(i.ClusterRoles.GetIndexer()),
		clusterRoleBindings: rbaclisters.NewClusterRoleBindingLister(i.ClusterRoleBindings.GetIndexer()),
	}
}

func (s listerSource) Role(namespace, name string) (*rbacv1.Role, error) {
	return s.roles.Roles(namespace).Get(name)
}

func (s listerSource) ClusterRole(name string) (*rbacv1.ClusterRole, error) {
	return s.clusterRoles.Get(name)
}

func (s listerSource) RoleBindings(namespace string) ([]*rbacv1.RoleBinding, error) {
	return s.roleBindings.RoleBindings(namespace).List(labels.Everything())
}

func (s listerSource) ClusterRoleBindings() ([]*rbacv1.ClusterRoleBinding, error) {
	return s.clusterRoleBindings.List(labels.Everything())
}

// NewStaticSource returns a Source over fixed Roles, ClusterRoles and
// bindings (tests, tools); other objects are ignored.
func NewStaticSource(objs ...runtime.Object) Source {
	idx := func() cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	roles, bindings, clusterRoles, clusterBindings := idx(), idx(), idx(), idx()
	for _, o := range objs {
		switch o.(type) {
		case *rbacv1.Role:
			_ = roles.Add(o)
		case *rbacv1.RoleBinding:
			_ = bindings.Add(o)
		case *rbacv1.ClusterRole:
			_ = clusterRoles.Add(o)
		case *rbacv1.ClusterRoleBinding:
			_ = clusterBindings.Add(o)
		}
	}
	return listerSource{
		roles:               rbaclisters.NewRoleLister(roles),
		roleBindings:        rbaclisters.NewRoleBindingLister(bindings),
		clusterRoles:        rbaclisters.NewClusterRoleLister(clusterRoles),
		clusterRoleBindings: rbaclisters.NewClusterRoleBindingLister(clusterBindings),
	}
}
