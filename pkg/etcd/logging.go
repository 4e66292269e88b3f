package etcd

import (
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newLogger builds etcd's zap logger at level, writing JSON to stderr, and
// hides the messages a healthy embedded member prints anyway: the
// listener errors of a clean shutdown (once closing is set) and the
// storage-version monitor's complaint before the first raft term.
func newLogger(level string, closing *atomic.Bool) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.Sampling = nil
	zc.OutputPaths = []string{"stderr"}
	zc.ErrorOutputPaths = []string{"stderr"}
	return zc.Build(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return &quietCore{Core: c, closing: closing}
	}))
}

type quietCore struct {
	zapcore.Core
	closing *atomic.Bool
}

func (q *quietCore) With(fields []zapcore.Field) zapcore.Core {
	return &quietCore{Core: q.Core.With(fields), closing: q.closing}
}

func (q *quietCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if q.closing.Load() && e.Level < zapcore.DPanicLevel {
		return ce
	}
	if strings.HasPrefix(e.Message, "failed to update storage version") {
		return ce
	}
	return q.Core.Check(e, ce)
}
