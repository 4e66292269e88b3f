package kubeletserver

import (
	"encoding/json"
	"net/http"

	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// serveStatsSummary serves GET /stats/summary: the node's stats summary
// (k8s.io/kubelet stats/v1alpha1 JSON). only_cpu_and_memory=true keeps
// just the node's and pods' CPU and memory, as the kubelet does for
// metrics-server.
func (s *Server) serveStatsSummary(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Stats == nil {
		http.Error(w, "stats/summary is not served by this node", http.StatusNotImplemented)
		return
	}
	sum, err := s.cfg.Stats.Summary(r.Context())
	if err != nil {
		s.cfg.Logger.Warn("kubelet API: stats summary", "err", err)
		writeError(w, err)
		return
	}
	if truthy(r.URL.Query().Get("only_cpu_and_memory")) {
		sum = cpuAndMemory(sum)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(sum)
}

func cpuAndMemory(in *statsapi.Summary) *statsapi.Summary {
	out := &statsapi.Summary{Node: statsapi.NodeStats{NodeName: in.Node.NodeName, StartTime: in.Node.StartTime,
		CPU: in.Node.CPU, Memory: in.Node.Memory}, Pods: []statsapi.PodStats{}}
	for _, p := range in.Pods {
		ps := statsapi.PodStats{PodRef: p.PodRef, StartTime: p.StartTime, CPU: p.CPU, Memory: p.Memory}
		for _, c := range p.Containers {
			ps.Containers = append(ps.Containers, statsapi.ContainerStats{Name: c.Name, StartTime: c.StartTime, CPU: c.CPU, Memory: c.Memory})
		}
		out.Pods = append(out.Pods, ps)
	}
	return out
}
