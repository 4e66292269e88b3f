package proxy

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// sysctls the proxy needs in its network namespace: bridged pod-to-pod
// traffic must pass the inet hooks (br_netfilter's
// bridge-nf-call-iptables, which covers nftables' ip and inet families
// too), or a reply from a backend on the same bridge skips conntrack and
// is never un-DNATed; and the node must forward.
var sysctls = map[string]string{
	"net/bridge/bridge-nf-call-iptables": "1",
	"net/ipv4/ip_forward":                "1",
}

// EnsureSysctls sets them (in the calling process's network namespace).
// A missing bridge-nf-call-iptables means br_netfilter is not loaded:
// kube-proxy requires it, and so is the error.
func EnsureSysctls() error {
	var errs []error
	for k, v := range sysctls {
		p := "/proc/sys/" + k
		cur, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && strings.HasPrefix(k, "net/bridge/") {
				errs = append(errs, fmt.Errorf("%s missing: load br_netfilter (modprobe br_netfilter); pod-to-pod Service traffic on one bridge will not work", p))
				continue
			}
			errs = append(errs, err)
			continue
		}
		if strings.TrimSpace(string(cur)) == v {
			continue
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("setting %s=%s: %w", p, v, err))
		}
	}
	return errors.Join(errs...)
}
