package kubeconfig

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/pkg/startwait"
)

// DefaultWaitTimeout bounds WaitForAPIServer for the commands that run
// against an API server.
const DefaultWaitTimeout = time.Minute

// WaitForAPIServer returns once the API server rc names answers /healthz,
// as upstream's controller manager waits before it starts. Each failed
// try is logged ("waiting for the API server at URL: reason"); it fails,
// naming the server, after timeout or when ctx ends (Ctrl-C), so that an
// unreachable server is never a silent hang. An answer that is an
// authentication or authorization refusal counts as reachable: the
// caller's own requests then report what is wrong with the credentials.
func WaitForAPIServer(ctx context.Context, rc *rest.Config, timeout time.Duration, logger *slog.Logger) error {
	client, err := rest.HTTPClientFor(rc)
	if err != nil {
		return err
	}
	url := strings.TrimSuffix(rc.Host, "/") + "/healthz"
	return startwait.For(ctx, "the API server at "+rc.Host, timeout, logger,
		func(ctx context.Context) error { return probe(ctx, client, url) }, "server", rc.Host)
}

func probe(ctx context.Context, client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden:
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Errorf("/healthz answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
}
