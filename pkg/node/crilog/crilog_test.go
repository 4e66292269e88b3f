package crilog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinykube/tinykube/internal/controllertest"
)

func TestParse(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	for _, tc := range []struct {
		line    string
		want    Entry
		wantErr bool
	}{
		{line: "2024-01-02T03:04:05.123456789Z stdout F hello world\n", want: Entry{Time: ts, Stream: Stdout, Content: []byte("hello world")}},
		{line: "2024-01-02T03:04:05.123456789Z stderr P part", want: Entry{Time: ts, Stream: Stderr, Partial: true, Content: []byte("part")}},
		{line: "2024-01-02T03:04:05.123456789Z stdout F ", want: Entry{Time: ts, Stream: Stdout, Content: []byte{}}},
		{line: "2024-01-02T03:04:05.123456789Z stdout F", want: Entry{Time: ts, Stream: Stdout}},
		{line: "2024-01-02T03:04:05.123456789Z stdout F:x a  b ", want: Entry{Time: ts, Stream: Stdout, Content: []byte("a  b ")}},
		{line: "2024-01-02T04:04:05.123456789+01:00 stdout F tz", want: Entry{Time: ts, Stream: Stdout, Content: []byte("tz")}},
		{line: "", wantErr: true},
		{line: "garbage", wantErr: true},
		{line: "notatime stdout F x", wantErr: true},
		{line: "2024-01-02T03:04:05Z stdin F x", wantErr: true},
		{line: "2024-01-02T03:04:05Z stdout X x", wantErr: true},
		{line: "2024-01-02T03:04:05Z stdout", wantErr: true},
	} {
		got, err := Parse([]byte(tc.line))
		if tc.wantErr {
			if !errors.Is(err, ErrBadLine) {
				t.Errorf("Parse(%q) error = %v, want ErrBadLine", tc.line, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.line, err)
			continue
		}
		if !got.Time.Equal(tc.want.Time) || got.Stream != tc.want.Stream || got.Partial != tc.want.Partial || !bytes.Equal(got.Content, tc.want.Content) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.line, got, tc.want)
		}
	}
}

const sample = `2024-01-02T03:04:01Z stdout F one
2024-01-02T03:04:02Z stderr F two
2024-01-02T03:04:03Z stdout P thr
this line is not CRI
2024-01-02T03:04:03.5Z stderr F four
2024-01-02T03:04:04Z stdout F ee
2024-01-02T03:04:05Z stdout F five
`

func writeLog(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCopy(t *testing.T) {
	p := writeLog(t, sample)
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"all", Options{Tail: -1}, "one\ntwo\nfour\nthree\nfive\n"},
		{"tail 2", Options{Tail: 2}, "four\nthree\nfive\n"}, // "three" started before "four"
		{"tail 1", Options{Tail: 1}, "five\n"},
		{"tail 0", Options{Tail: 0}, ""},
		{"tail beyond", Options{Tail: 100}, "one\ntwo\nfour\nthree\nfive\n"},
		{"since", Options{Tail: -1, Since: at("2024-01-02T03:04:03Z")}, "four\nthree\nfive\n"},
		{"since after all", Options{Tail: -1, Since: at("2025-01-01T00:00:00Z")}, ""},
		{"timestamps", Options{Tail: 1, Timestamps: true}, "2024-01-02T03:04:05Z five\n"},
		{"partial timestamp is the first entry's", Options{Tail: -1, Timestamps: true, Since: at("2024-01-02T03:04:03.5Z")},
			"2024-01-02T03:04:03.5Z four\n2024-01-02T03:04:05Z five\n"},
		{"limit", Options{Tail: -1, LimitBytes: 6}, "one\ntw"},
		{"limit exact", Options{Tail: -1, LimitBytes: 4}, "one\n"},
		{"stderr", Options{Tail: -1, Stream: Stderr}, "two\nfour\n"},
		{"stdout", Options{Tail: -1, Stream: Stdout}, "one\nthree\nfive\n"},
	} {
		var out bytes.Buffer
		if err := Copy(context.Background(), p, tc.opts, &out); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if out.String() != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, out.String(), tc.want)
		}
	}
}

func TestCopyUnterminatedPartial(t *testing.T) {
	p := writeLog(t, "2024-01-02T03:04:01Z stdout P no newline")
	var out bytes.Buffer
	if err := Copy(context.Background(), p, Options{Tail: -1}, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "no newline" {
		t.Errorf("got %q", out.String())
	}
}

func TestCopyMissingFile(t *testing.T) {
	err := Copy(context.Background(), filepath.Join(t.TempDir(), "nope.log"), Options{Tail: -1}, &bytes.Buffer{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want not exist", err)
	}
}

// syncBuffer is a bytes.Buffer safe to read while Copy writes.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

// TestCopyFollow: a follow sees lines appended later, including one
// written in two pieces, and ends once the container stops.
func TestCopyFollow(t *testing.T) {
	p := writeLog(t, "2024-01-02T03:04:01Z stdout F first\n")
	var running atomic.Bool
	running.Store(true)
	out := newSyncBuffer()
	done := make(chan error, 1)
	go func() {
		done <- Copy(context.Background(), p, Options{Tail: -1, Follow: true, Running: running.Load, PollInterval: 5 * time.Millisecond}, out)
	}()
	controllertest.Eventually(t, "the first line", func(context.Context) (bool, error) {
		return out.String() == "first\n", nil
	})
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("2024-01-02T03:04:02Z stdout P sec"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("ond-part\n2024-01-02T03:04:03Z stdout F line\n"); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "the appended lines", func(context.Context) (bool, error) {
		return out.String() == "first\nsecond-partline\n", nil
	})
	if _, err := f.WriteString("2024-01-02T03:04:04Z stderr F last\n"); err != nil {
		t.Fatal(err)
	}
	running.Store(false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasSuffix(got, "last\n") {
		t.Errorf("after stop: %q", got)
	}
}

func TestCopyFollowCancel(t *testing.T) {
	p := writeLog(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Copy(ctx, p, Options{Tail: -1, Follow: true, Running: func() bool { return true }, PollInterval: time.Millisecond}, &bytes.Buffer{})
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

// FuzzParse: no input crashes Parse; what parses round-trips.
func FuzzParse(f *testing.F) {
	for _, s := range strings.Split(sample, "\n") {
		f.Add([]byte(s))
	}
	f.Add([]byte("2024-01-02T03:04:05.123456789Z stdout F:x:y z"))
	f.Add([]byte("2024-01-02T03:04:05Z stderr P"))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := Parse(line)
		if err != nil {
			return
		}
		if e.Stream != Stdout && e.Stream != Stderr {
			t.Fatalf("stream %q", e.Stream)
		}
		if !bytes.Contains(line, e.Content) {
			t.Fatalf("content %q not in line", e.Content)
		}
	})
}

// FuzzCopy: no file content crashes Copy or makes it fail, and tail
// never writes more than the whole log.
func FuzzCopy(f *testing.F) {
	f.Add([]byte(sample), int64(2), int64(0))
	f.Add([]byte("2024-01-02T03:04:01Z stdout P a\n2024-01-02T03:04:01Z stdout P b"), int64(-1), int64(3))
	f.Add([]byte("\n\n\n"), int64(1), int64(1))
	f.Fuzz(func(t *testing.T, content []byte, tail, limit int64) {
		p := filepath.Join(t.TempDir(), "0.log")
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		var all, some bytes.Buffer
		if err := Copy(context.Background(), p, Options{Tail: -1}, &all); err != nil {
			t.Fatal(err)
		}
		if err := Copy(context.Background(), p, Options{Tail: tail, LimitBytes: limit}, &some); err != nil {
			t.Fatal(err)
		}
		if some.Len() > all.Len() {
			t.Fatalf("tail %d limit %d wrote %d bytes, the whole log is %d", tail, limit, some.Len(), all.Len())
		}
		if limit > 0 && int64(some.Len()) > limit {
			t.Fatalf("limit %d, wrote %d", limit, some.Len())
		}
	})
}
