package bootstrapsigner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
	"github.com/tinykube/tinykube/pkg/controller/bootstrapsigner"
)

// TestSign: cluster-info (published by the server) gets a signature for
// each signing token, none for a token without the signing usage or an
// expired one, and loses a token's signature when the token goes.
func TestSign(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	create := func(token string, opts bootstraptoken.Options, at time.Time) {
		sec, err := bootstraptoken.NewSecret(token, opts, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Client.CoreV1().Secrets("kube-system").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create("aaaaaa.0123456789abcdef", bootstraptoken.Options{TTL: time.Hour}, time.Now())
	create("bbbbbb.0123456789abcdef", bootstraptoken.Options{Usages: []string{bootstraptoken.UsageAuthentication}}, time.Now())
	create("cccccc.0123456789abcdef", bootstraptoken.Options{TTL: time.Minute}, time.Now().Add(-time.Hour))
	controllertest.StartControllers(t, s, bootstrapsigner.New)

	signatures := func(ctx context.Context) (map[string]string, string) {
		cm, err := s.Client.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sigs := map[string]string{}
		for k, v := range cm.Data {
			if strings.HasPrefix(k, bootstraptoken.JWSKeyPrefix) {
				sigs[strings.TrimPrefix(k, bootstraptoken.JWSKeyPrefix)] = v
			}
		}
		return sigs, cm.Data["kubeconfig"]
	}
	controllertest.Eventually(t, "cluster-info signed with the signing token only", func(ctx context.Context) (bool, error) {
		sigs, content := signatures(ctx)
		return len(sigs) == 1 && bootstraptoken.SignatureValid(sigs["aaaaaa"], content, "aaaaaa", "0123456789abcdef"), nil
	})
	create("dddddd.0123456789abcdef", bootstraptoken.Options{}, time.Now())
	if err := s.Client.CoreV1().Secrets("kube-system").Delete(ctx, "bootstrap-token-aaaaaa", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "the new token's signature in, the deleted one's out", func(ctx context.Context) (bool, error) {
		sigs, content := signatures(ctx)
		return len(sigs) == 1 && bootstraptoken.SignatureValid(sigs["dddddd"], content, "dddddd", "0123456789abcdef"), nil
	})
}
