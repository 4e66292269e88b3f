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
	deadline := time.Now().Add(timeout)
	var last error // the last reason that is not the interruption
	interrupted := func() error {
		if last == nil {
			return fmt.Errorf("interrupted while waiting for the API server at %s", rc.Host)
		}
		return fmt.Errorf("interrupted while waiting for the API server at %s: %w", rc.Host, last)
	}
	for {
		err := probe(ctx, client, url)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return interrupted()
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("the API server at %s did not answer within %s: %w", rc.Host, timeout, err)
		}
		logger.Info("waiting for the API server at "+rc.Host+": "+err.Error(), "server", rc.Host)
		select {
		case <-ctx.Done():
			return interrupted()
		case <-time.After(time.Second):
		}
	}
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
