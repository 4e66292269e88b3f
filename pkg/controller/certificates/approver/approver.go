package approver

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	certlisters "k8s.io/client-go/listers/certificates/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/certificates"
)

// Upstream's approval condition.
const (
	Reason            = "AutoApproved"
	MessageNodeClient = "Auto approving kubelet client certificate after SubjectAccessReview."
	MessageSelfNode   = "Auto approving self kubelet client certificate after SubjectAccessReview."
	// MessageServing is tinykube's own (upstream approves no serving
	// requests): see the package comment.
	MessageServing     = "Auto approving kubelet serving certificate for the node's own name and addresses."
	groupBootstrappers = "system:bootstrappers"
	groupMasters       = "system:masters"
)

// Controller approves node client CSRs.
type Controller struct {
	client kubernetes.Interface
	csrs   certlisters.CertificateSigningRequestLister
	nodes  corelisters.NodeLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	logger *slog.Logger
}

var _ controller.Runner = (*Controller)(nil)

// New builds the csrapproving controller.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	inf := cc.Informers.Certificates().V1().CertificateSigningRequests()
	nodes := cc.Informers.Core().V1().Nodes()
	c := &Controller{client: cc.Client, csrs: inf.Lister(), nodes: nodes.Lister(),
		synced: []cache.InformerSynced{inf.Informer().HasSynced, nodes.Informer().HasSynced},
		queue:  controller.NewQueue[string]("csrapproving"), logger: cc.Logger}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	enqueue := func(obj any) {
		if csr, ok := controller.Unwrap[*certificatesv1.CertificateSigningRequest](obj); ok {
			c.queue.Add(csr.Name)
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return nil, err
	}
	// A serving request waits for its Node's addresses: look at the
	// node's pending serving requests again when its Node changes.
	onNode := func(obj any) {
		if n, ok := obj.(*corev1.Node); ok {
			c.enqueuePendingServing(n.Name)
		}
	}
	_, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: onNode, UpdateFunc: func(_, obj any) { onNode(obj) },
	})
	return c, err
}

// enqueuePendingServing queues node's undecided kubelet-serving requests.
func (c *Controller) enqueuePendingServing(node string) {
	csrs, err := c.csrs.List(labels.Everything())
	if err != nil {
		return
	}
	for _, csr := range csrs {
		if csr.Spec.SignerName == certificatesv1.KubeletServingSignerName && csr.Spec.Username == certificates.NodeUserPrefix+node &&
			!certificates.IsDecided(csr) && len(csr.Status.Certificate) == 0 {
			c.queue.Add(csr.Name)
		}
	}
}

// Run waits for the cache, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "csrapproving", c.queue, c.synced, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	csr, err := c.csrs.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	message, ok, err := Decide(csr, c.nodes.Get)
	if err != nil {
		// A request that does not parse never will: leave it to a human.
		c.logger.InfoContext(ctx, "csrapproving: ignoring unparsable request", "csr", name, "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	csr = csr.DeepCopy()
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: Reason, Message: message,
	})
	_, err = c.client.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, name, csr, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("error updating approval for csr: %w", err)
	}
	return nil
}

// Decide says whether csr is to be auto-approved and with which message.
// Requests already decided or issued, for other signers, or not node
// certificates the package comment lists are not; an error means the
// request does not parse. node reads Nodes (for a serving request's
// addresses); nil approves no serving request.
func Decide(csr *certificatesv1.CertificateSigningRequest, node func(name string) (*corev1.Node, error)) (message string, approve bool, err error) {
	if len(csr.Status.Certificate) != 0 || certificates.IsDecided(csr) {
		return "", false, nil
	}
	switch csr.Spec.SignerName {
	case certificatesv1.KubeAPIServerClientKubeletSignerName:
	case certificatesv1.KubeletServingSignerName:
		if node == nil {
			return "", false, nil
		}
	default:
		return "", false, nil
	}
	req, err := certificates.ParseCSR(csr.Spec.Request)
	if err != nil {
		return "", false, fmt.Errorf("unable to parse csr %q: %w", csr.Name, err)
	}
	in := func(g string) bool { return slices.Contains(csr.Spec.Groups, g) }
	if csr.Spec.SignerName == certificatesv1.KubeletServingSignerName {
		if certificates.ValidateKubeletServing(req, csr.Spec.Usages) != nil || csr.Spec.Username != req.Subject.CommonName ||
			!in(certificates.NodesGroup) || !ownNames(req, strings.TrimPrefix(req.Subject.CommonName, certificates.NodeUserPrefix), node) {
			return "", false, nil
		}
		return MessageServing, true, nil
	}
	if certificates.ValidateKubeletClient(req, csr.Spec.Usages) != nil {
		return "", false, nil
	}
	// selfnodeclient: system:nodes (and admins) renewing their own.
	if csr.Spec.Username == req.Subject.CommonName && (in(certificates.NodesGroup) || in(groupMasters)) {
		return MessageSelfNode, true, nil
	}
	// nodeclient: bootstrappers (and admins) asking for a new node.
	if in(groupBootstrappers) || in(groupMasters) {
		return MessageNodeClient, true, nil
	}
	return "", false, nil
}

// ownNames reports whether every SAN of req is the node's name or one
// of the addresses its Node reports.
func ownNames(req *x509.CertificateRequest, name string, node func(string) (*corev1.Node, error)) bool {
	n, err := node(name)
	if err != nil {
		return false
	}
	addrs := map[string]bool{}
	for _, a := range n.Status.Addresses {
		addrs[a.Address] = true
	}
	for _, d := range req.DNSNames {
		if d != name && !addrs[d] {
			return false
		}
	}
	for _, ip := range req.IPAddresses {
		if !addrs[ip.String()] {
			return false
		}
	}
	return true
}
