package defaults

import (
	"regexp"
	"strings"
)

// Image reference grammar (the docker/distribution one that upstream's
// parsers.ParseImageName relies on), reduced to what pull-policy defaulting
// needs: is the reference valid, and which tag does it name.
var (
	domainRE = regexp.MustCompile(`^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])` +
		`(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$|^\[[a-fA-F0-9:]+\](?::[0-9]+)?$`)
	pathComponentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagRE           = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	// Only the digest algorithms a server links in are accepted, each with
	// its exact lower-case hex length.
	digestRE = regexp.MustCompile(`^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$`)
	bareIDRE = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// maxNameLength is the longest repository name (domain included) the
// reference grammar accepts.
const maxNameLength = 255

// imageTag returns the tag an image reference names: "latest" when it names
// neither tag nor digest, "" when it names only a digest or does not parse.
func imageTag(image string) string {
	tag, digest, ok := splitImage(image)
	if !ok {
		return ""
	}
	if tag == "" && digest == "" {
		return "latest"
	}
	return tag
}

// splitImage splits a reference into its tag and digest, and reports whether
// it is a valid, normalisable reference.
func splitImage(image string) (tag, digest string, ok bool) {
	if image == "" || bareIDRE.MatchString(image) {
		return "", "", false
	}
	rest := image
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest, digest = rest[:i], rest[i+1:]
		if !digestRE.MatchString(digest) {
			return "", "", false
		}
	}
	// A ':' after the last '/' starts the tag; one before it is a port.
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && i > strings.LastIndexByte(rest, '/') {
		rest, tag = rest[:i], rest[i+1:]
		if !tagRE.MatchString(tag) {
			return "", "", false
		}
	}
	name := rest
	if name == "" || len(name) > maxNameLength {
		return "", "", false
	}

	// The first component is a registry domain only if it looks like one;
	// otherwise the whole name is a Docker Hub path and must be lower case.
	path := name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		first := name[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
			if !domainRE.MatchString(first) {
				return "", "", false
			}
			path = name[i+1:]
		}
	}
	if strings.ToLower(path) != path {
		return "", "", false
	}
	for _, c := range strings.Split(path, "/") {
		if !pathComponentRE.MatchString(c) {
			return "", "", false
		}
	}
	return tag, digest, true
}
