package storage

import (
	"fmt"
	"strconv"
)

// A resourceVersion is etcd's mod revision written in decimal. These are
// the one place both etcd3 and the watch cache turn it into a number and
// back.

// ParseResourceVersion parses a resourceVersion parameter: "" is 0 (any
// version); anything but a non-negative decimal integer is an error.
func ParseResourceVersion(rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid resource version %q", rv)
	}
	return n, nil
}

// FormatResourceVersion writes a revision as a resourceVersion.
func FormatResourceVersion(rev int64) string { return strconv.FormatInt(rev, 10) }

// PrefixKey makes a collection key end in "/", so that listing or
// watching "/registry/pods/a" does not also take "/registry/pods/ab/…".
func PrefixKey(key string) string {
	if len(key) > 0 && key[len(key)-1] != '/' {
		return key + "/"
	}
	return key
}
