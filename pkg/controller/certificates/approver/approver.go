package approver

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	certlisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/certificates"
)

// Upstream's approval condition.
const (
	Reason             = "AutoApproved"
	MessageNodeClient  = "Auto approving kubelet client certificate after SubjectAccessReview."
	MessageSelfNode    = "Auto approving self kubelet client certificate after SubjectAccessReview."
	groupBootstrappers = "system:bootstrappers"
	groupMasters       = "system:masters"
)

// Controller approves node client CSRs.
type Controller struct {
	client kubernetes.Interface
	csrs   certlisters.CertificateSigningRequestLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	logger *slog.Logger
}

var _ controller.Runner = (*Controller)(nil)

// New builds the csrapproving controller.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	inf := cc.Informers.Certificates().V1().CertificateSigningRequests()
	c := &Controller{client: cc.Client, csrs: inf.Lister(), synced: []cache.InformerSynced{inf.Informer().HasSynced},
		queue: controller.NewQueue[string]("csrapproving"), logger: cc.Logger}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	enqueue := func(obj any) {
		if csr, ok := controller.Unwrap[*certificatesv1.CertificateSigningRequest](obj); ok {
			c.queue.Add(csr.Name)
		}
	}
	_, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) },
	})
	return c, err
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
	message, ok, err := Decide(csr)
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
// client certificates are not; an error means the request does not parse.
func Decide(csr *certificatesv1.CertificateSigningRequest) (message string, approve bool, err error) {
	if len(csr.Status.Certificate) != 0 || certificates.IsDecided(csr) ||
		csr.Spec.SignerName != certificatesv1.KubeAPIServerClientKubeletSignerName {
		return "", false, nil
	}
	req, err := certificates.ParseCSR(csr.Spec.Request)
	if err != nil {
		return "", false, fmt.Errorf("unable to parse csr %q: %w", csr.Name, err)
	}
	if certificates.ValidateKubeletClient(req, csr.Spec.Usages) != nil {
		return "", false, nil
	}
	in := func(g string) bool { return slices.Contains(csr.Spec.Groups, g) }
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
