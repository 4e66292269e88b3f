package version

import (
	"runtime"

	"k8s.io/apimachinery/pkg/version"
)

// Kubernetes API level this build serves; clients compare against it.
const (
	Major = "1"
	Minor = "37"
)

// GitVersion can be overridden at link time:
// -ldflags "-X github.com/tinykube/tinykube/pkg/version.GitVersion=v1.37.0-tinykube.1"
var GitVersion = "v1.37.0-tinykube"

// Get returns the version.Info served at /version.
func Get() version.Info {
	return version.Info{
		Major:      Major,
		Minor:      Minor,
		GitVersion: GitVersion,
		GoVersion:  runtime.Version(),
		Compiler:   runtime.Compiler,
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
	}
}
