package main

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// dnsEnv starts a name server on loopback (UDP and TCP, one port) that
// knows a few cluster names, and an env whose resolv.conf points at it
// with a pod's search path.
func dnsEnv(t *testing.T) (env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	zone := map[string]string{
		"web.ns1.svc.cluster.local. A":     "web.ns1.svc.cluster.local. 30 IN A 10.96.0.20",
		"ext.ns1.svc.cluster.local. CNAME": "ext.ns1.svc.cluster.local. 30 IN CNAME foo.example.com.",
		"20.0.96.10.in-addr.arpa. PTR":     "20.0.96.10.in-addr.arpa. 30 IN PTR web.ns1.svc.cluster.local.",
	}
	handler := mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		if s, ok := zone[strings.ToLower(q.Name)+" "+mdns.TypeToString[q.Qtype]]; ok {
			rr, err := mdns.NewRR(s)
			if err != nil {
				t.Error(err)
			}
			m.Answer = append(m.Answer, rr)
		} else if !strings.HasPrefix(strings.ToLower(q.Name), "web.ns1.svc.cluster.local.") {
			m.Rcode = mdns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
	if err != nil {
		pc.Close()
		t.Skipf("TCP port %d taken: %v", port, err)
	}
	udp := &mdns.Server{PacketConn: pc, Handler: handler}
	tcp := &mdns.Server{Listener: l, Handler: handler}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })

	dir := t.TempDir()
	rc := filepath.Join(dir, "resolv.conf")
	hosts := filepath.Join(dir, "hosts")
	write(t, rc, "search ns1.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n")
	write(t, hosts, "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n10.244.0.5\tdns-querier-1.dns-test-service.ns1.svc.cluster.local\tdns-querier-1\n")
	var stdout, stderr bytes.Buffer
	return env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		resolvConf: rc, hostsFile: hosts, dnsPort: itoa(port)}, &stdout, &stderr
}

func TestDig(t *testing.T) {
	for _, tc := range []struct {
		args []string
		rc   int
		want string // stdout, "" = empty
	}{
		// The e2e DNS specs' probes: a relative name through the search path.
		{[]string{"+notcp", "+noall", "+answer", "+search", "web", "A"}, 0, "web.ns1.svc.cluster.local.\t30\tIN\tA\t10.96.0.20\n"},
		{[]string{"+tcp", "+noall", "+answer", "+search", "web.ns1", "A"}, 0, "web.ns1.svc.cluster.local.\t30\tIN\tA\t10.96.0.20\n"},
		{[]string{"+notcp", "+noall", "+answer", "+search", "20.0.96.10.in-addr.arpa.", "PTR"}, 0, "20.0.96.10.in-addr.arpa.\t30\tIN\tPTR\tweb.ns1.svc.cluster.local.\n"},
		{[]string{"+short", "ext.ns1.svc.cluster.local", "CNAME"}, 0, "foo.example.com.\n"},
		{[]string{"+short", "web.ns1.svc.cluster.local"}, 0, "10.96.0.20\n"},
		// Without +search a relative name is asked as is: NXDOMAIN, no answer, exit 0.
		{[]string{"+noall", "+answer", "web", "A"}, 0, ""},
		// NODATA (the name exists, no AAAA).
		{[]string{"+short", "web.ns1.svc.cluster.local", "AAAA"}, 0, ""},
		{[]string{"+trace", "web"}, 1, ""},
		{[]string{"+short"}, 1, ""},
	} {
		e, stdout, stderr := dnsEnv(t)
		if rc := dig(e, tc.args); rc != tc.rc || stdout.String() != tc.want {
			t.Errorf("dig %q: rc %d, stdout %q (stderr %q); want rc %d, %q", tc.args, rc, stdout, stderr, tc.rc, tc.want)
		}
	}
	// Full output (no +short, +noall) has the answer section.
	e, stdout, _ := dnsEnv(t)
	if rc := dig(e, []string{"web.ns1.svc.cluster.local."}); rc != 0 || !strings.Contains(stdout.String(), "ANSWER SECTION") {
		t.Errorf("dig: rc %d, %q", rc, stdout)
	}
	// No name server answering: exit 9.
	e, _, _ = dnsEnv(t)
	e.dnsPort = itoa(freeUDPPort(t))
	if rc := dig(e, []string{"+short", "+tcp", "web.ns1.svc.cluster.local."}); rc != 9 {
		t.Errorf("dig with no server: rc %d, want 9", rc)
	}
}

func TestGetentHosts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		rc   int
		want string
	}{
		{[]string{"hosts", "dns-querier-1"}, 0, "10.244.0.5 dns-querier-1.dns-test-service.ns1.svc.cluster.local dns-querier-1\n"},
		{[]string{"hosts", "web"}, 0, "10.96.0.20 web.ns1.svc.cluster.local\n"},
		{[]string{"hosts", "nothere.example."}, 2, ""},
		{[]string{"passwd", "root"}, 1, ""},
	} {
		e, stdout, stderr := dnsEnv(t)
		if rc := getent(e, tc.args); rc != tc.rc || stdout.String() != tc.want {
			t.Errorf("getent %q: rc %d, stdout %q (stderr %q); want rc %d, %q", tc.args, rc, stdout, stderr, tc.rc, tc.want)
		}
	}
}

func TestNC(t *testing.T) {
	// TCP: a server that answers the first line and closes, as netexec's
	// HTTP server answers "hostName\n" with a 400.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Write([]byte("got " + line))
			c.Close()
		}
	}()
	tcpPort := itoa(l.Addr().(*net.TCPAddr).Port)
	// UDP: netexec's UDP server answers "hostName" with the host name.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if strings.TrimSpace(string(buf[:n])) == "hostName" {
				pc.WriteTo([]byte("pod-1"), from)
			}
		}
	}()
	udpPort := itoa(pc.LocalAddr().(*net.UDPAddr).Port)

	for _, tc := range []struct {
		stdin string
		args  []string
		rc    int
		want  string
	}{
		{"hostName\n", []string{"-v", "-t", "-w", "2", "127.0.0.1", tcpPort}, 0, "got hostName\n"},
		{"hostName\n", []string{"-v", "-u", "-w", "2", "127.0.0.1", udpPort}, 0, "pod-1"},
		{"hostName\n", []string{"-w1", "-u", "127.0.0.1", udpPort}, 0, "pod-1"},
		{"", []string{"-vz", "127.0.0.1", tcpPort, "-w", "1"}, 0, ""},
		// Nobody on the port: refused (UDP: by ICMP, at the read).
		{"hostName\n", []string{"-v", "-u", "-w", "2", "127.0.0.1", itoa(freeUDPPort(t))}, 1, ""},
		{"", []string{"-lU", "/tmp/sock"}, 1, ""},
		{"", []string{"127.0.0.1"}, 1, ""},
	} {
		var stdout, stderr bytes.Buffer
		e := env{stdin: strings.NewReader(tc.stdin), stdout: &stdout, stderr: &stderr}
		start := time.Now()
		rc := nc(e, tc.args)
		if rc != tc.rc || stdout.String() != tc.want {
			t.Errorf("nc %q: rc %d, stdout %q (stderr %q, %v); want rc %d, %q", tc.args, rc, stdout.String(), stderr.String(), time.Since(start), tc.rc, tc.want)
		}
	}
}

func freeUDPPort(t *testing.T) int {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
