// Package logs is tinykube's one logging system: log/slog, with klog
// (what client-go, leader election and utilruntime.HandleError write to)
// and the standard log package routed into the same handler, so every
// line of a tinykube process has one format.
//
// Every command takes upstream's logging flags (Options.AddFlags): -v
// (--v) with upstream's meaning, and --logging-format text|json. -v N
// shows klog's V(N) lines and slog's levels down to -N: slog's Debug
// (-4) is V(4), upstream's "debug" verbosity.
package logs
