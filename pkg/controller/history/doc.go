// Package history keeps the template history of StatefulSets and
// DaemonSets as ControllerRevisions: one revision per distinct pod
// template, named <owner>-<hash>, numbered in the order the templates
// were last used. Pods carry the hash in their controller-revision-hash
// label, so a controller can tell which template a pod was made from.
package history
