package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/auth/satoken"
)

// objects is a ServiceAccountGetter over a map keyed "kind/ns/name".
type objects map[string]metav1.Object

func (o objects) get(kind, ns, name string) (metav1.Object, error) {
	if obj, ok := o[kind+"/"+ns+"/"+name]; ok {
		return obj, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: kind}, name)
}

func getAs[T metav1.Object](o objects, kind, ns, name string) (T, error) {
	obj, err := o.get(kind, ns, name)
	if err != nil {
		var zero T
		return zero, err
	}
	return obj.(T), nil
}

func (o objects) ServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	return getAs[*corev1.ServiceAccount](o, "serviceaccounts", ns, name)
}
func (o objects) Pod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	return getAs[*corev1.Pod](o, "pods", ns, name)
}
func (o objects) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	return getAs[*corev1.Secret](o, "secrets", ns, name)
}
func (o objects) Node(_ context.Context, name string) (*corev1.Node, error) {
	return getAs[*corev1.Node](o, "nodes", "", name)
}

func TestServiceAccountTokens(t *testing.T) {
	const iss = "https://issuer.example"
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := satoken.NewSigner(iss, key)
	verifier, _ := satoken.NewVerifier([]string{iss}, key.Public())
	now := time.Unix(1_800_000_000, 0)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sa", UID: "sa-uid"}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "pod-uid"}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", UID: "secret-uid"}}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", UID: "node-uid"}}
	world := objects{"serviceaccounts/ns/sa": sa, "pods/ns/p": pod, "secrets/ns/s": secret, "nodes//n": node}
	a := NewServiceAccountTokens(verifier, []string{iss}, world)
	a.now = func() time.Time { return now }

	token := func(auds []string, exp time.Duration, bind func(*satoken.Kubernetes)) string {
		c := satoken.NewClaims(sa, now, exp, auds)
		if bind != nil {
			bind(c.Kubernetes)
		}
		tok, err := signer.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	gone := func(key string) objects {
		o := objects{}
		for k, v := range world {
			if k != key {
				o[k] = v
			}
		}
		return o
	}
	recreated := objects{}
	for k, v := range world {
		recreated[k] = v
	}
	recreated["serviceaccounts/ns/sa"] = &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sa", UID: "new-uid"}}

	cases := []struct {
		name    string
		token   string
		ctx     context.Context
		objects objects
		wantErr string
		check   func(*User) bool
	}{
		{name: "plain", token: token([]string{iss}, time.Hour, nil), check: func(u *User) bool {
			return u.Name == "system:serviceaccount:ns:sa" && u.UID == "sa-uid" &&
				slices.Equal(u.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:ns"}) &&
				strings.HasPrefix(u.Extra[CredentialIDKey][0], "JTI=") && slices.Equal(u.Audiences, []string{iss})
		}},
		{name: "not ours", token: "abc.def.ghi"},
		{name: "other audience", token: token([]string{"vault"}, time.Hour, nil), wantErr: "token audiences"},
		{name: "asked for its audience", token: token([]string{"vault", iss}, time.Hour, nil),
			ctx: WithAudiences(context.Background(), []string{"vault"}), check: func(u *User) bool { return slices.Equal(u.Audiences, []string{"vault"}) }},
		{name: "expired", token: token([]string{iss}, -2*time.Minute, nil), wantErr: "has expired"},
		{name: "account gone", token: token([]string{iss}, time.Hour, nil), objects: gone("serviceaccounts/ns/sa"), wantErr: "not found"},
		{name: "account recreated", token: token([]string{iss}, time.Hour, nil), objects: recreated, wantErr: "does not match claim"},
		{name: "pod-bound", token: token([]string{iss}, time.Hour, func(k *satoken.Kubernetes) {
			k.Pod, k.Node = &satoken.Ref{Name: "p", UID: "pod-uid"}, &satoken.Ref{Name: "n", UID: "node-uid"}
		}), check: func(u *User) bool {
			return slices.Equal(u.Extra[PodNameKey], []string{"p"}) && slices.Equal(u.Extra[PodUIDKey], []string{"pod-uid"}) &&
				slices.Equal(u.Extra[NodeNameKey], []string{"n"})
		}},
		{name: "pod gone", token: token([]string{iss}, time.Hour, func(k *satoken.Kubernetes) { k.Pod = &satoken.Ref{Name: "p", UID: "pod-uid"} }),
			objects: gone("pods/ns/p"), wantErr: "has been invalidated"},
		{name: "secret-bound", token: token([]string{iss}, time.Hour, func(k *satoken.Kubernetes) { k.Secret = &satoken.Ref{Name: "s", UID: "secret-uid"} })},
		{name: "secret uid", token: token([]string{iss}, time.Hour, func(k *satoken.Kubernetes) { k.Secret = &satoken.Ref{Name: "s", UID: "old"} }),
			wantErr: "secret UID"},
		{name: "node-bound, node gone", token: token([]string{iss}, time.Hour, func(k *satoken.Kubernetes) { k.Node = &satoken.Ref{Name: "n", UID: "node-uid"} }),
			objects: gone("nodes//n"), wantErr: "has been invalidated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.objects = world
			if tc.objects != nil {
				a.objects = tc.objects
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			for range 2 { // the second time from the verification cache
				u, ok, err := a.AuthenticateToken(ctx, tc.token)
				switch {
				case tc.wantErr != "":
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("err = %v, want %q", err, tc.wantErr)
					}
				case tc.name == "not ours":
					if ok || err != nil {
						t.Fatalf("got %v %v %v, want (nil, false, nil)", u, ok, err)
					}
				default:
					if err != nil || !ok {
						t.Fatalf("got %v %v", ok, err)
					}
					if tc.check != nil && !tc.check(u) {
						t.Errorf("user = %+v", u)
					}
				}
			}
		})
	}
}
