// Package crilog reads the container log files a CRI runtime writes
// (containerd's CRI plugin, CRI-O): one entry per line,
//
//	2024-01-02T03:04:05.123456789Z stdout F the content
//
// a RFC 3339 timestamp, the stream (stdout or stderr), a tag (F for a full
// line, P for a partial one the runtime split because it was too long,
// the rest of it following in the next entries of the same stream) and the
// content. Parse reads one line; Copy writes a file's log to a client with
// the kubelet's options (tail, since, timestamps, limitBytes, follow),
// joining partial lines.
//
// The node's kubelet API (pkg/node/kubeletserver) serves
// /containerLogs with it; the API server proxies pods/log there.
package crilog
