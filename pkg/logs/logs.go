package logs

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

// Options are the logging flags of every tinykube command.
type Options struct {
	// Verbosity is -v: 0 logs Info and above; N also logs V(N) and slog
	// levels down to -N (Debug is -4).
	Verbosity int
	// Format is --logging-format: "text" or "json".
	Format string
}

// NewOptions returns the defaults: -v 0, text.
func NewOptions() *Options { return &Options{Format: "text"} }

// AddFlags registers -v/--v and --logging-format.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.IntVarP(&o.Verbosity, "v", "v", o.Verbosity,
		"log level verbosity, as upstream's -v: 0 info and above, 2 more detail, 4 debug (expected conflicts, retries), higher for more")
	fs.StringVar(&o.Format, "logging-format", o.Format, `log format: "text" (key=value lines) or "json" (one JSON object per line)`)
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if o.Verbosity < 0 {
		return fmt.Errorf("-v %d: must be 0 or more", o.Verbosity)
	}
	if o.Format != "text" && o.Format != "json" {
		return fmt.Errorf("--logging-format %q: want text or json", o.Format)
	}
	return nil
}

// Level is the slog level -v enables: Info at 0, -N at N.
func (o *Options) Level() slog.Level { return slog.Level(-o.Verbosity) }

// NewLogger returns a logger writing to w in the chosen format, at the
// chosen verbosity. Levels below Info print as upstream's V levels
// ("V4" for slog's Debug) so that -v and the lines it shows agree.
func (o *Options) NewLogger(w io.Writer) (*slog.Logger, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	ho := &slog.HandlerOptions{Level: o.Level(), ReplaceAttr: replaceLevel}
	if o.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return slog.New(slog.NewTextHandler(w, ho)), nil
}

func replaceLevel(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey {
		if l, ok := a.Value.Any().(slog.Level); ok && l < slog.LevelInfo {
			return slog.String(slog.LevelKey, "V"+strconv.Itoa(-int(l)))
		}
	}
	return a
}

// Setup builds the logger (NewLogger) and makes it the process's only
// one: slog.Default (and with it the standard log package) and klog,
// whose own -v is set to o.Verbosity since klog checks V(N) itself
// before handing a line on. It returns the logger.
func (o *Options) Setup(w io.Writer) (*slog.Logger, error) {
	logger, err := o.NewLogger(w)
	if err != nil {
		return nil, err
	}
	slog.SetDefault(logger)
	klog.SetSlogLogger(logger)
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	if err := fs.Set("v", strconv.Itoa(o.Verbosity)); err != nil {
		return nil, err
	}
	return logger, nil
}
