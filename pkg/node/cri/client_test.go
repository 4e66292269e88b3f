package cri

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Dial never hangs: bad endpoints, missing sockets and sockets nobody
// answers CRI on are errors, the last once the dial timeout is over.
func TestDialFailsClearly(t *testing.T) {
	dir := t.TempDir()
	silent := filepath.Join(dir, "silent.sock")
	l, err := net.Listen("unix", silent)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accepts and says nothing
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, tc := range []struct {
		endpoint string
		want     string
		is       error
	}{
		{"tcp://127.0.0.1:1", "only unix:// endpoints", nil},
		{"unix://", "empty socket path", nil},
		{"unix://" + filepath.Join(dir, "none.sock"), "", ErrNoSocket},
		{"unix://" + silent, "no answer within", nil},
	} {
		c, err := Dial(context.Background(), tc.endpoint, 500*time.Millisecond)
		if err == nil {
			c.Close(context.Background())
			t.Errorf("%s: no error", tc.endpoint)
			continue
		}
		if tc.is != nil && !errors.Is(err, tc.is) || tc.want != "" && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v", tc.endpoint, err)
		}
	}
}

func TestSocketPath(t *testing.T) {
	for in, want := range map[string]string{"unix:///run/c.sock": "/run/c.sock", "/run/c.sock": "/run/c.sock"} {
		if got, err := socketPath(in); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
}
