// Package framework holds the scheduler's vocabulary: the plugin
// interfaces (PreFilter, Filter, PreScore, Score), the Status a plugin
// answers with, CycleState that carries one scheduling cycle's computed
// data between extension points, and NodeInfo — one node with the pods on
// it and what they request — that every plugin reads.
//
// It sits between pkg/scheduler (queue, cache, the scheduling cycle,
// preemption) and pkg/scheduler/plugins (the filters and scores). It has
// no API client and no goroutines.
package framework
