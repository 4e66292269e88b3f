package controllermanager

import (
	"context"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/admissionpolicystatus"
	"github.com/tinykube/tinykube/pkg/controller/bootstrapsigner"
	"github.com/tinykube/tinykube/pkg/controller/certificates/approver"
	"github.com/tinykube/tinykube/pkg/controller/certificates/signer"
	"github.com/tinykube/tinykube/pkg/controller/clusterroleaggregation"
	"github.com/tinykube/tinykube/pkg/controller/cronjob"
	"github.com/tinykube/tinykube/pkg/controller/daemonset"
	"github.com/tinykube/tinykube/pkg/controller/deployment"
	"github.com/tinykube/tinykube/pkg/controller/disruption"
	"github.com/tinykube/tinykube/pkg/controller/endpoint"
	"github.com/tinykube/tinykube/pkg/controller/endpointslice"
	"github.com/tinykube/tinykube/pkg/controller/endpointslicemirroring"
	"github.com/tinykube/tinykube/pkg/controller/garbagecollector"
	"github.com/tinykube/tinykube/pkg/controller/job"
	"github.com/tinykube/tinykube/pkg/controller/localpath"
	"github.com/tinykube/tinykube/pkg/controller/namespace"
	"github.com/tinykube/tinykube/pkg/controller/nodeipam"
	"github.com/tinykube/tinykube/pkg/controller/nodelifecycle"
	"github.com/tinykube/tinykube/pkg/controller/podgc"
	"github.com/tinykube/tinykube/pkg/controller/replicaset"
	"github.com/tinykube/tinykube/pkg/controller/resourcequota"
	"github.com/tinykube/tinykube/pkg/controller/rootcacert"
	"github.com/tinykube/tinykube/pkg/controller/serviceaccount"
	"github.com/tinykube/tinykube/pkg/controller/statefulset"
	"github.com/tinykube/tinykube/pkg/controller/tokencleaner"
	"github.com/tinykube/tinykube/pkg/controller/ttlafterfinished"
)

// controllers maps each controller's name (as in --controllers) to its
// constructor. Adding a controller is one line here.
var controllers = map[string]func(context.Context, controller.Context) (controller.Runner, error){
	"bootstrapsigner":         bootstrapsigner.New,
	"cronjob":                 cronjob.New,
	"csrapproving":            approver.New,
	"csrsigning":              signer.New,
	"clusterrole-aggregation": clusterroleaggregation.New,
	"validatingadmissionpolicy-status-controller": admissionpolicystatus.New,
	"daemonset":              daemonset.New,
	"deployment":             deployment.New,
	"disruption":             disruption.New,
	"endpoint":               endpoint.New,
	"endpointslice":          endpointslice.New,
	"endpointslicemirroring": endpointslicemirroring.New,
	"garbagecollector":       garbagecollector.New,
	"job":                    job.New,
	"local-path-provisioner": localpath.New,
	"namespace":              namespace.New,
	"nodeipam":               nodeipam.New,
	"nodelifecycle":          nodelifecycle.New,
	"podgc":                  podgc.New,
	"replicaset":             replicaset.NewReplicaSet,
	"replicationcontroller":  replicaset.NewReplicationController,
	"resourcequota":          resourcequota.New,
	"root-ca-cert-publisher": rootcacert.New,
	"serviceaccount":         serviceaccount.New,
	"statefulset":            statefulset.New,
	"tokencleaner":           tokencleaner.New,
	"ttl-after-finished":     ttlafterfinished.New,
}
