package startwait

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestFor: success on a later try; a timeout and an interruption each
// name what was waited for and the last reason.
func TestFor(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tries := 0
	if err := For(context.Background(), "the thing", time.Minute, logger, func(context.Context) error {
		if tries++; tries < 2 {
			return errors.New("not yet")
		}
		return nil
	}); err != nil || tries != 2 {
		t.Fatalf("err %v after %d tries", err, tries)
	}

	refused := func(context.Context) error { return errors.New("connection refused") }
	err := For(context.Background(), "the thing", time.Millisecond, logger, refused)
	if err == nil || !strings.Contains(err.Error(), "the thing did not answer within 1ms: connection refused") {
		t.Errorf("timeout: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	err = For(ctx, "the thing", time.Hour, logger, refused)
	if err == nil || err.Error() != "interrupted while waiting for the thing: connection refused" {
		t.Errorf("interrupted: %v", err)
	}
}
