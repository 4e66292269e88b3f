// Package endpoint is the endpoints controller: for every Service with a
// selector it keeps an Endpoints object of the same name listing the
// matching pods — ready ones in addresses, others in notReadyAddresses —
// with the ports each pod serves (targetPort numbers, or names resolved
// against the pod's container ports). Services without a selector (the
// "kubernetes" service, hand-managed endpoints) are left alone.
//
// pods.go holds what the endpointslice controller shares with it.
package endpoint
