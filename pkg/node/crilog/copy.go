package crilog

import (
	"bufio"

	"context"
	"errors"
	"io"
	"os"
	"time"
)

// Options select what Copy writes, with the meaning of PodLogOptions
// (the kubelet's /containerLogs query).
type Options struct {
	// Tail: only the last Tail lines; negative for all.
	Tail int64
	// Since: only lines logged at or after it; zero for all.
	Since time.Time
	// Timestamps prefixes each line with its RFC 3339 timestamp.
	Timestamps bool
	// Stream, if set, copies that stream only.
	Stream Stream
	// LimitBytes stops the output after that many bytes; 0 for no limit.
	LimitBytes int64
	// Follow keeps reading the file as it grows until Running reports
	// the container stopped and the rest of the file has been copied.
	Follow bool
	// Running is asked whenever a follow reaches the end of the file;
	// nil means not running (Copy stops at the end of the file).
	Running func() bool
	// PollInterval is how often a follow looks for more content
	// (default 100ms).
	PollInterval time.Duration
}

// maxLine bounds one line of the file and one joined message: longer
// input is cut, never buffered without bound (runtimes split lines at
// 16 KiB, so only a damaged file reaches it).
const maxLine = 1 << 20

// errLimit ends a copy once LimitBytes are written.
var errLimit = errors.New("limit reached")

// Copy writes the log at path to w as the kubelet does: entries joined
// into lines (partial entries of a stream up to its next full one),
// filtered and formatted by opts. Lines that do not parse are skipped.
// It returns when the file is copied (or, with Follow, the container has
// stopped and the file is drained), the limit is reached, or ctx ends
// (then with ctx's error).
func Copy(ctx context.Context, path string, opts Options, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var start int64
	if opts.Tail >= 0 {
		start, err = tailOffset(f, opts.Tail)
		if err != nil {
			return err
		}
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			return err
		}
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	c := &copier{opts: opts, w: w, left: opts.LimitBytes}
	r := &lineReader{r: bufio.NewReaderSize(f, 64<<10)}
	var ticker *time.Ticker
	for {
		// Ask before reading: content written before the container
		// stopped is then read by this pass.
		running := opts.Follow && opts.Running != nil && opts.Running()
		for {
			line, _, err := r.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if err := c.entry(line); err != nil {
				if err == errLimit {
					return nil
				}
				return err
			}
		}
		if !running {
			// The file is complete: a last line without its newline
			// counts.
			if line := r.takePending(); len(line) > 0 {
				if err := c.entry(line); err != nil {
					if err == errLimit {
						return nil
					}
					return err
				}
			}
			if err := c.flushPartial(); err != nil && err != errLimit {
				return err
			}
			return nil
		}
		if ticker == nil {
			ticker = time.NewTicker(opts.PollInterval)
			defer ticker.Stop()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// copier joins entries into lines and writes them.
type copier struct {
	opts Options
	w    io.Writer
	left int64 // bytes the limit still allows (when LimitBytes > 0)
	// partial holds, per stream, the content of partial entries not yet
	// ended by a full one, and the first one's time.
	partial     [2][]byte
	partialTime [2]time.Time
	buf         []byte
}

func streamIndex(s Stream) int {
	if s == Stderr {
		return 1
	}
	return 0
}

func (c *copier) entry(line []byte) error {
	e, err := Parse(line)
	if err != nil {
		return nil // as the kubelet: skip what does not parse
	}
	if c.opts.Stream != "" && e.Stream != c.opts.Stream {
		return nil
	}
	i := streamIndex(e.Stream)
	if len(c.partial[i]) == 0 {
		c.partialTime[i] = e.Time
	}
	if e.Partial {
		c.partial[i] = append(c.partial[i], e.Content...)
		if len(c.partial[i]) < maxLine {
			return nil
		}
		// Too long to keep joining: write what there is as one line.
	} else {
		c.partial[i] = append(c.partial[i], e.Content...)
	}
	content, t := c.partial[i], c.partialTime[i]
	c.partial[i] = c.partial[i][:0]
	return c.write(t, content, true)
}

// flushPartial writes partial content left at the end of the log (a
// stream that ended without a newline), without adding one.
func (c *copier) flushPartial() error {
	for i := range c.partial {
		if len(c.partial[i]) > 0 {
			if err := c.write(c.partialTime[i], c.partial[i], false); err != nil {
				return err
			}
			c.partial[i] = c.partial[i][:0]
		}
	}
	return nil
}

func (c *copier) write(t time.Time, content []byte, newline bool) error {
	if !c.opts.Since.IsZero() && t.Before(c.opts.Since) {
		return nil
	}
	c.buf = c.buf[:0]
	if c.opts.Timestamps {
		c.buf = t.AppendFormat(c.buf, time.RFC3339Nano)
		c.buf = append(c.buf, ' ')
	}
	c.buf = append(c.buf, content...)
	if newline {
		c.buf = append(c.buf, '\n')
	}
	out, limited := c.buf, false
	if c.opts.LimitBytes > 0 && int64(len(out)) >= c.left {
		out, limited = out[:c.left], true
	}
	if _, err := c.w.Write(out); err != nil {
		return err
	}
	if limited {
		return errLimit
	}
	c.left -= int64(len(out))
	return nil
}

// lineReader returns complete lines; at the end of the file it keeps an
// incomplete one until the rest is written.
type lineReader struct {
	r       *bufio.Reader
	pending []byte
	off     int64 // offset of the next line's start, from where reading began
	skip    bool  // dropping the rest of an over-long line
}

// next returns the next complete line (with its newline) and its offset;
// io.EOF when no complete line is available yet.
func (l *lineReader) next() ([]byte, int64, error) {
	for {
		chunk, err := l.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull || (err == io.EOF && len(chunk) > 0) {
			if !l.skip {
				l.pending = append(l.pending, chunk...)
				if len(l.pending) > maxLine {
					l.off += int64(len(l.pending))
					l.pending, l.skip = l.pending[:0], true
				}
			} else {
				l.off += int64(len(chunk))
			}
			if err == io.EOF {
				return nil, 0, io.EOF
			}
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		if l.skip {
			l.off += int64(len(chunk))
			l.skip = false
			continue
		}
		line := chunk
		if len(l.pending) > 0 {
			line = append(l.pending, chunk...)
			l.pending = l.pending[:0]
		}
		off := l.off
		l.off += int64(len(line))
		return line, off, nil
	}
}

// takePending returns the incomplete line read so far, and forgets it.
func (l *lineReader) takePending() []byte {
	p := l.pending
	l.pending = nil
	return p
}

// tailOffset returns the offset in f of the first entry of the n-th last
// line (entries joined as Copy joins them).
func tailOffset(f *os.File, n int64) (int64, error) {
	if n == 0 {
		return f.Seek(0, io.SeekEnd)
	}
	// A ring of the start offsets of the last n lines: memory in n, not
	// in the file's size.
	var ring []int64
	next := 0 // the oldest entry once the ring is full
	var partialStart [2]int64
	var inPartial [2]bool
	r := &lineReader{r: bufio.NewReaderSize(f, 64<<10)}
	for {
		line, off, err := r.next()
		if err == io.EOF {
			if line = r.takePending(); len(line) == 0 {
				break
			}
			off, err = r.off, nil
		}
		if err != nil {
			return 0, err
		}
		e, err := Parse(line)
		if err != nil {
			continue
		}
		i := streamIndex(e.Stream)
		if !inPartial[i] {
			partialStart[i] = off
		}
		if e.Partial {
			inPartial[i] = true
			continue
		}
		inPartial[i] = false
		if int64(len(ring)) < n {
			ring = append(ring, partialStart[i])
			continue
		}
		ring[next] = partialStart[i]
		next = (next + 1) % len(ring)
	}
	if len(ring) == 0 {
		return 0, nil
	}
	// Interleaved streams can start a line before an earlier-ending
	// one: start at the earliest, which may give a line or two more.
	start := ring[0]
	for _, o := range ring {
		start = min(start, o)
	}
	return start, nil
}
