package envvars

import (
	"net"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ServiceVars returns the service environment variables a pod in
// namespace ns gets from services (any namespaces; the caller passes what
// its service lister holds): for the Services of ns when
// enableServiceLinks is set, and always for the kubernetes Service of
// default. A Service of ns named like one of default's wins. Headless
// Services and Services without a ClusterIP are skipped. The result is in
// Service-name order, each Service's variables in the kubelet's order.
func ServiceVars(ns string, enableServiceLinks bool, services []*corev1.Service) []Var {
	chosen := map[string]*corev1.Service{}
	for _, s := range services {
		if s.Spec.ClusterIP == "" || s.Spec.ClusterIP == corev1.ClusterIPNone || len(s.Spec.Ports) == 0 {
			continue
		}
		switch {
		case s.Namespace == metav1.NamespaceDefault && s.Name == "kubernetes":
			if _, taken := chosen[s.Name]; !taken {
				chosen[s.Name] = s
			}
		case s.Namespace == ns && enableServiceLinks:
			chosen[s.Name] = s
		}
	}
	names := make([]string, 0, len(chosen))
	for name := range chosen {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []Var
	for _, name := range names {
		out = append(out, serviceVars(chosen[name])...)
	}
	return out
}

// Var is one environment variable.
type Var struct{ Name, Value string }

// serviceVars: FOO_SERVICE_HOST, FOO_SERVICE_PORT, FOO_SERVICE_PORT_<NAME>
// for named ports, then the Docker link variables FOO_PORT and
// FOO_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}.
func serviceVars(s *corev1.Service) []Var {
	prefix := strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
	ip := s.Spec.ClusterIP
	out := []Var{
		{prefix + "_SERVICE_HOST", ip},
		{prefix + "_SERVICE_PORT", strconv.Itoa(int(s.Spec.Ports[0].Port))},
	}
	for _, p := range s.Spec.Ports {
		if p.Name != "" {
			out = append(out, Var{prefix + "_SERVICE_PORT_" + strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_")), strconv.Itoa(int(p.Port))})
		}
	}
	for i, p := range s.Spec.Ports {
		proto := string(p.Protocol)
		if proto == "" {
			proto = string(corev1.ProtocolTCP)
		}
		port := strconv.Itoa(int(p.Port))
		url := strings.ToLower(proto) + "://" + net.JoinHostPort(ip, port)
		if i == 0 {
			out = append(out, Var{prefix + "_PORT", url})
		}
		pp := prefix + "_PORT_" + port + "_" + strings.ToUpper(proto)
		out = append(out, Var{pp, url}, Var{pp + "_PROTO", strings.ToLower(proto)}, Var{pp + "_PORT", port}, Var{pp + "_ADDR", ip})
	}
	return out
}
