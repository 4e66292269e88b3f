// Package rootcacert is the root CA publisher: every active namespace has
// a ConfigMap "kube-root-ca.crt" whose "ca.crt" is the cluster's root CA
// (controller.Context.RootCA), so pods can verify the API server through
// projected service account volumes. It is recreated if deleted and
// restored if changed.
package rootcacert
