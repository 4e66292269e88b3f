package generic

import "context"

// Admission warnings. An admission plugin that accepts a write but has
// something to tell the client (a ValidatingAdmissionPolicy binding with
// validationActions Warn) calls AddWarning; the HTTP layer installs the
// sink (WithWarnings) that turns each into a Warning response header, as
// upstream's warning.AddWarning does.

type warningsKey struct{}

// WithWarnings returns ctx whose warnings go to add.
func WithWarnings(ctx context.Context, add func(msg string)) context.Context {
	return context.WithValue(ctx, warningsKey{}, add)
}

// AddWarning sends msg to ctx's warning sink, if it has one.
func AddWarning(ctx context.Context, msg string) {
	if add, ok := ctx.Value(warningsKey{}).(func(string)); ok {
		add(msg)
	}
}
