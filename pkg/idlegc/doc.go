// Package idlegc lowers the Go garbage collector's target (GOGC) while
// the process is idle and restores it as soon as work arrives.
//
// With the default GOGC=100 the heap may grow to about twice what is live
// before a collection, and the runtime keeps that much memory mapped. Under
// load that headroom is what keeps collections cheap (halving GOGC costs
// the API server about a fifth more CPU on `tinykube bench api --phases
// crud`), but an idle control plane allocates a few hundred KiB/s, so a
// small GOGC costs it nothing measurable while it holds tens of MB less
// heap. Run samples the allocation rate (runtime/metrics) every Period:
// after IdleSamples samples below IdleRate in a row it sets IdlePercent
// and returns the free heap to the OS (one forced collection per switch
// to idle), and the first sample at or above IdleRate sets the busy value
// back.
//
// `tinykube server` and `tinykube apiserver` run it (flag
// --idle-gc-percent); it stays off when the GOGC environment variable is
// set, so an explicit GOGC is never overridden.
package idlegc
