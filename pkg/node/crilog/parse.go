package crilog

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Stream names which of a container's outputs an entry came from.
type Stream string

// The two streams a CRI log records.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// Entry is one line of a CRI log file.
type Entry struct {
	Time   time.Time
	Stream Stream
	// Partial is set for a "P" entry: Content continues in the next
	// entry of the same stream.
	Partial bool
	// Content is the line's content without its newline; it aliases the
	// line Parse was given.
	Content []byte
}

// ErrBadLine wraps every parse failure.
var ErrBadLine = errors.New("bad CRI log line")

// Parse parses one line of a CRI log file, with or without its trailing
// newline.
func Parse(line []byte) (Entry, error) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	var e Entry
	ts, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return e, fmt.Errorf("%w: no timestamp delimiter", ErrBadLine)
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return e, fmt.Errorf("%w: timestamp %q: %v", ErrBadLine, ts, err)
	}
	e.Time = t
	stream, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return e, fmt.Errorf("%w: no stream delimiter", ErrBadLine)
	}
	switch Stream(stream) {
	case Stdout, Stderr:
		e.Stream = Stream(stream)
	default:
		return e, fmt.Errorf("%w: unknown stream %q", ErrBadLine, stream)
	}
	// The tag: "F", "P", or a ':'-separated list whose first element is
	// one of them (the CRI leaves room for more flags).
	tag, content, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		// "… stdout F" with empty content and no trailing space is
		// what some runtimes write for an empty line.
		tag, content = rest, nil
	}
	first, _, _ := bytes.Cut(tag, []byte{':'})
	switch string(first) {
	case "F":
	case "P":
		e.Partial = true
	default:
		return e, fmt.Errorf("%w: unknown tag %q", ErrBadLine, tag)
	}
	e.Content = content
	return e, nil
}
