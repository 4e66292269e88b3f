// Package plugins holds the scheduler's filter and score plugins, one
// file per plugin, each named and worded as upstream's so that
// FailedScheduling messages read the same:
//
//	nodename.go           NodeName            filter
//	nodeunschedulable.go  NodeUnschedulable   filter
//	nodeaffinity.go       NodeAffinity        filter (nodeSelector, required) + score (preferred)
//	tainttoleration.go    TaintToleration     filter (NoSchedule/NoExecute) + score (PreferNoSchedule)
//	noderesources.go      NodeResourcesFit    filter + score (least allocated),
//	                      NodeResourcesBalancedAllocation score
//	nodeports.go          NodePorts           filter
//	podtopologyspread.go  PodTopologySpread   filter (DoNotSchedule) + score (ScheduleAnyway)
//	interpodaffinity.go   InterPodAffinity    filter (required) + score (preferred)
//
// Default returns them as one framework.Profile, with upstream's default
// score weights.
package plugins
