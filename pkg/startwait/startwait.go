package startwait

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// For calls probe once a second until it returns nil. what names the
// dependency in the messages ("the API server at https://…", "etcd at
// …"); attrs go with each "waiting for …" log line. It fails after
// timeout ("… did not answer within …") or when ctx ends ("interrupted
// while waiting for …"), with the last reason probe gave.
func For(ctx context.Context, what string, timeout time.Duration, logger *slog.Logger, probe func(context.Context) error, attrs ...any) error {
	deadline := time.Now().Add(timeout)
	var last error // the last reason that is not the interruption
	interrupted := func() error {
		if last == nil {
			return fmt.Errorf("interrupted while waiting for %s", what)
		}
		return fmt.Errorf("interrupted while waiting for %s: %w", what, last)
	}
	for {
		err := probe(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return interrupted()
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s: %w", what, timeout, err)
		}
		logger.Info("waiting for "+what+": "+err.Error(), attrs...)
		select {
		case <-ctx.Done():
			return interrupted()
		case <-time.After(time.Second):
		}
	}
}
