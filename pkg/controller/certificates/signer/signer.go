package signer

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	certlisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/certificates"
	"github.com/tinykube/tinykube/pkg/pki"
)

const (
	// DefaultDuration is upstream's --cluster-signing-duration.
	DefaultDuration = 365 * 24 * time.Hour
	// backdate tolerates clocks behind ours; minDuration is upstream's
	// floor for a requested duration (twice the backdate).
	backdate    = 5 * time.Minute
	minDuration = 10 * time.Minute
	// short certificates (below 8h) are not shortened by the backdate.
	short = 8 * time.Hour
	// ReasonValidationFailure is the Failed condition's reason.
	ReasonValidationFailure = "SignerValidationFailure"
)

// validators are the checks of each signer this controller serves.
var validators = map[string]func(*x509.CertificateRequest, []certificatesv1.KeyUsage) error{
	certificatesv1.KubeAPIServerClientKubeletSignerName: certificates.ValidateKubeletClient,
	certificatesv1.KubeletServingSignerName:             certificates.ValidateKubeletServing,
	certificatesv1.KubeAPIServerClientSignerName:        certificates.ValidateAPIServerClient,
}

// Controller signs approved CSRs.
type Controller struct {
	client   kubernetes.Interface
	csrs     certlisters.CertificateSigningRequestLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	ca       *pki.CA
	duration time.Duration
	clock    clock.Clock
	logger   *slog.Logger
}

var _ controller.Runner = (*Controller)(nil)

// New builds the csrsigning controller; without a signing CA
// (Context.ClusterSigningCA) it is disabled (nil).
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	if cc.ClusterSigningCA == nil {
		return nil, nil
	}
	inf := cc.Informers.Certificates().V1().CertificateSigningRequests()
	c := &Controller{client: cc.Client, csrs: inf.Lister(), synced: []cache.InformerSynced{inf.Informer().HasSynced},
		queue: controller.NewQueue[string]("csrsigning"), ca: cc.ClusterSigningCA, duration: cc.ClusterSigningDuration,
		clock: cc.ClockOrReal(), logger: cc.Logger}
	if c.duration <= 0 {
		c.duration = DefaultDuration
	}
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
	controller.RunWorkers(ctx, "csrsigning", c.queue, c.synced, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	csr, err := c.csrs.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !certificates.IsApproved(csr) || certificates.HasTrueCondition(csr, certificatesv1.CertificateFailed) || len(csr.Status.Certificate) != 0 {
		return nil
	}
	validate, ok := validators[csr.Spec.SignerName]
	if !ok {
		return nil
	}
	csr = csr.DeepCopy()
	cert, verr := c.Sign(csr, validate)
	if verr != nil {
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type: certificatesv1.CertificateFailed, Status: corev1.ConditionTrue,
			Reason: ReasonValidationFailure, Message: verr.Error(), LastUpdateTime: metav1.NewTime(c.clock.Now()),
		})
	} else {
		csr.Status.Certificate = cert
	}
	_, err = c.client.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, csr, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("updating status of csr %s: %w", name, err)
	}
	return nil
}

// Sign checks csr with validate and returns its certificate (PEM); an
// error is a request that can never be signed.
func (c *Controller) Sign(csr *certificatesv1.CertificateSigningRequest, validate func(*x509.CertificateRequest, []certificatesv1.KeyUsage) error) ([]byte, error) {
	req, err := certificates.ParseCSR(csr.Spec.Request)
	if err != nil {
		return nil, fmt.Errorf("unable to parse csr %q: %w", csr.Name, err)
	}
	if err := validate(req, csr.Spec.Usages); err != nil {
		return nil, err
	}
	keyUsage, extUsage, err := x509Usages(csr.Spec.Usages)
	if err != nil {
		return nil, err
	}
	ttl := c.Duration(csr.Spec.ExpirationSeconds)
	now := c.clock.Now()
	tmpl := &x509.Certificate{
		Subject: req.Subject, DNSNames: req.DNSNames, IPAddresses: req.IPAddresses,
		EmailAddresses: req.EmailAddresses, URIs: req.URIs,
		KeyUsage: keyUsage, ExtKeyUsage: extUsage, BasicConstraintsValid: true,
		NotBefore: now.Add(-backdate),
	}
	if ttl < short {
		tmpl.NotAfter = now.Add(ttl)
	} else {
		tmpl.NotAfter = now.Add(ttl - backdate)
	}
	caEnd := c.ca.Cert.NotAfter
	if !now.Before(caEnd) {
		return nil, fmt.Errorf("the signer has expired: NotAfter=%v", caEnd)
	}
	if tmpl.NotAfter.After(caEnd) {
		tmpl.NotAfter = caEnd
	}
	return c.ca.Sign(tmpl, req.PublicKey)
}

// Duration is how long a certificate asked for with expirationSeconds
// lasts: the signing duration, or the request when shorter, at least
// ten minutes.
func (c *Controller) Duration(expirationSeconds *int32) time.Duration {
	if expirationSeconds == nil {
		return c.duration
	}
	d := time.Duration(*expirationSeconds) * time.Second
	return min(max(d, minDuration), c.duration)
}

var (
	keyUsages = map[certificatesv1.KeyUsage]x509.KeyUsage{
		certificatesv1.UsageSigning:           x509.KeyUsageDigitalSignature,
		certificatesv1.UsageDigitalSignature:  x509.KeyUsageDigitalSignature,
		certificatesv1.UsageContentCommitment: x509.KeyUsageContentCommitment,
		certificatesv1.UsageKeyEncipherment:   x509.KeyUsageKeyEncipherment,
		certificatesv1.UsageKeyAgreement:      x509.KeyUsageKeyAgreement,
		certificatesv1.UsageDataEncipherment:  x509.KeyUsageDataEncipherment,
		certificatesv1.UsageCertSign:          x509.KeyUsageCertSign,
		certificatesv1.UsageCRLSign:           x509.KeyUsageCRLSign,
		certificatesv1.UsageEncipherOnly:      x509.KeyUsageEncipherOnly,
		certificatesv1.UsageDecipherOnly:      x509.KeyUsageDecipherOnly,
	}
	extKeyUsages = map[certificatesv1.KeyUsage]x509.ExtKeyUsage{
		certificatesv1.UsageAny:             x509.ExtKeyUsageAny,
		certificatesv1.UsageServerAuth:      x509.ExtKeyUsageServerAuth,
		certificatesv1.UsageClientAuth:      x509.ExtKeyUsageClientAuth,
		certificatesv1.UsageCodeSigning:     x509.ExtKeyUsageCodeSigning,
		certificatesv1.UsageEmailProtection: x509.ExtKeyUsageEmailProtection,
		certificatesv1.UsageSMIME:           x509.ExtKeyUsageEmailProtection,
		certificatesv1.UsageIPsecEndSystem:  x509.ExtKeyUsageIPSECEndSystem,
		certificatesv1.UsageIPsecTunnel:     x509.ExtKeyUsageIPSECTunnel,
		certificatesv1.UsageIPsecUser:       x509.ExtKeyUsageIPSECUser,
		certificatesv1.UsageTimestamping:    x509.ExtKeyUsageTimeStamping,
		certificatesv1.UsageOCSPSigning:     x509.ExtKeyUsageOCSPSigning,
		certificatesv1.UsageMicrosoftSGC:    x509.ExtKeyUsageMicrosoftServerGatedCrypto,
		certificatesv1.UsageNetscapeSGC:     x509.ExtKeyUsageNetscapeServerGatedCrypto,
	}
)

func x509Usages(usages []certificatesv1.KeyUsage) (x509.KeyUsage, []x509.ExtKeyUsage, error) {
	var ku x509.KeyUsage
	var ext []x509.ExtKeyUsage
	seen := map[x509.ExtKeyUsage]bool{}
	for _, u := range usages {
		if k, ok := keyUsages[u]; ok {
			ku |= k
		} else if e, ok := extKeyUsages[u]; ok {
			if !seen[e] {
				seen[e] = true
				ext = append(ext, e)
			}
		} else {
			return 0, nil, fmt.Errorf("unknown key usage %q", u)
		}
	}
	return ku, ext, nil
}
