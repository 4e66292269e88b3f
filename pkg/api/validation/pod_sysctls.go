package validation

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A sysctl name is segments of lowercase alphanumerics, '-' and '_'
// (starting and ending alphanumeric) joined by '.' or '/', at most 253
// characters — upstream's rule, which the error message quotes.
const sysctlMaxLength = 253

var sysctlName = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)

// validateSysctls checks spec.securityContext.sysctls: names required,
// well formed and unique; and no sysctl of a namespace the pod shares
// with its host (net.* with hostNetwork, the IPC ones with hostIPC).
// Values are the kernel's business: upstream leaves them unchecked.
func validateSysctls(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	if spec.SecurityContext == nil {
		return nil
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, s := range spec.SecurityContext.Sysctls {
		np := p.Index(i).Child("name")
		switch {
		case s.Name == "":
			errs = append(errs, field.Required(np, ""))
		case len(s.Name) > sysctlMaxLength || !sysctlName.MatchString(s.Name):
			errs = append(errs, field.Invalid(np, s.Name,
				fmt.Sprintf("must have at most %d characters and match regex %s", sysctlMaxLength, sysctlName)))
		case seen[s.Name]:
			errs = append(errs, field.Duplicate(np, s.Name))
		}
		seen[s.Name] = true
		switch sysctlNamespace(s.Name) {
		case "net":
			if spec.HostNetwork {
				errs = append(errs, field.Invalid(np, s.Name, "may not be specified when 'hostNetwork' is true"))
			}
		case "ipc":
			if spec.HostIPC {
				errs = append(errs, field.Invalid(np, s.Name, "may not be specified when 'hostIPC' is true"))
			}
		}
	}
	return errs
}

// sysctlNamespace names the Linux namespace a sysctl belongs to ("net",
// "ipc", or "" for node-level and unknown ones); a name may use '/' for
// '.' as in /proc/sys paths.
func sysctlNamespace(name string) string {
	name = sysctlDots(name)
	switch {
	case strings.HasPrefix(name, "net."):
		return "net"
	case name == "kernel.sem", strings.HasPrefix(name, "kernel.shm"), strings.HasPrefix(name, "kernel.msg"),
		strings.HasPrefix(name, "fs.mqueue."):
		return "ipc"
	}
	return ""
}

// sysctlDots turns a slash-separated sysctl name into the dotted form:
// with a '/' present, '/' and '.' swap places (net/ipv4/conf/eth0.100/x
// is net.ipv4.conf.eth0/100.x).
func sysctlDots(name string) string {
	if !strings.Contains(name, "/") {
		return name
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '.'
		case '.':
			return '/'
		}
		return r
	}, name)
}
