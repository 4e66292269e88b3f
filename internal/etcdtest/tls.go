package etcdtest

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/tinykube/tinykube/pkg/pki"
)

// TLSEtcd is a running etcd that serves https on a loopback port and
// requires a client certificate signed by its CA, as a production etcd
// runs (--client-cert-auth --trusted-ca-file).
type TLSEtcd struct {
	// Endpoint is "https://127.0.0.1:PORT".
	Endpoint string
	// CAFile signed the serving certificate and ClientCert/ClientKey.
	CAFile, ClientCert, ClientKey string
	// OtherCAFile is an unrelated CA; OtherClientCert/OtherClientKey a
	// client certificate it signed, which the server refuses.
	OtherCAFile, OtherClientCert, OtherClientKey string
}

// StartTLS starts a TLSEtcd in this process; it stops when t ends.
func StartTLS(t testing.TB) *TLSEtcd {
	t.Helper()
	dir := t.TempDir()
	x := &TLSEtcd{}
	ca, err := pki.Ensure(filepath.Join(dir, "ca"), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.Ensure(filepath.Join(dir, "other"), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x.CAFile = filepath.Join(ca.Dir, pki.CACertFile)
	x.OtherCAFile = filepath.Join(other.Dir, pki.CACertFile)
	write := func(name string, certPEM, keyPEM []byte, err error) (string, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		c, k := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		if err := os.WriteFile(c, certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(k, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		return c, k
	}
	c, k, err := ca.IssueServingCert("etcd", []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"})
	servingCert, servingKey := write("server", c, k, err)
	c, k, err = ca.IssueClientCert("apiserver-etcd-client", nil)
	x.ClientCert, x.ClientKey = write("client", c, k, err)
	c, k, err = other.IssueClientCert("apiserver-etcd-client", nil)
	x.OtherClientCert, x.OtherClientKey = write("other-client", c, k, err)

	ec := embed.NewConfig()
	ec.Name = "tls"
	ec.Dir = filepath.Join(dir, "etcd")
	clientURL, _ := url.Parse("https://127.0.0.1:0")
	peerURL, _ := url.Parse("http://127.0.0.1:0")
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*clientURL}, []url.URL{*clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*peerURL}, []url.URL{*peerURL}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ClientTLSInfo.CertFile, ec.ClientTLSInfo.KeyFile = servingCert, servingKey
	ec.ClientTLSInfo.TrustedCAFile = x.CAFile
	ec.ClientTLSInfo.ClientCertAuth = true
	ec.TickMs, ec.ElectionMs, ec.InitialElectionTickAdvance = 10, 100, true
	ec.UnsafeNoFsync = true
	ec.Logger, ec.LogLevel = "zap", "error"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		t.Fatal(err)
	case <-time.After(time.Minute):
		t.Fatal("TLS etcd not ready after a minute")
	}
	x.Endpoint = "https://" + e.Clients[0].Addr().String()
	return x
}
