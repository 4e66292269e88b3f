package token_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
	"github.com/tinykube/tinykube/pkg/cmd/token"
	"github.com/tinykube/tinykube/pkg/node/bootstrap"
)

// TestCreateList: `token create --print-join-command` prints kubeadm's
// shape of join line with the server and the CA's hash, `token list`
// shows the token, its TTL and usages; bad flags are refused.
func TestCreateList(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	var out bytes.Buffer
	f := token.CreateFlags{TTL: 2 * time.Hour, Description: "for n2", PrintJoinCommand: true,
		Usages: []string{"authentication", "signing"}, Groups: []string{bootstraptoken.GroupNodeBootstrappers}}
	if err := token.Create(ctx, s.Client, s.RESTConfig, "", f, &out); err != nil {
		t.Fatal(err)
	}
	var server, tok, hash string
	if _, err := fmt.Sscanf(out.String(), "tinykube node --runtime containerd --server %s --token %s --ca-cert-hash %s", &server, &tok, &hash); err != nil {
		t.Fatalf("join command %q: %v", out.String(), err)
	}
	if server != s.URL || hash != bootstrap.CAHash(s.PKI.CACert) {
		t.Errorf("join command %q: want server %s and hash %s", out.String(), s.URL, bootstrap.CAHash(s.PKI.CACert))
	}
	if _, _, err := bootstraptoken.Parse(tok); err != nil {
		t.Errorf("token %q: %v", tok, err)
	}
	out.Reset()
	if err := token.Create(ctx, s.Client, s.RESTConfig, "abcdef.0123456789abcdef", token.CreateFlags{Usages: []string{"authentication"}}, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "abcdef.0123456789abcdef\n" {
		t.Errorf("create printed %q", out.String())
	}
	out.Reset()
	if err := token.List(ctx, s.Client, time.Now(), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TOKEN") {
		t.Fatalf("list:\n%s", out.String())
	}
	rows := map[string]string{}
	for _, l := range lines[1:] {
		fields := strings.Fields(l)
		rows[fields[0]] = strings.Join(fields[1:], " ")
	}
	if got := rows[tok]; !strings.HasPrefix(got, "1h ") || !strings.HasSuffix(got, " authentication,signing for n2 system:bootstrappers:kubeadm:default-node-token") {
		t.Errorf("list row of %s: %q", tok, got)
	}
	if got := rows["abcdef.0123456789abcdef"]; got != "<forever> <never> authentication <none> system:bootstrappers:kubeadm:default-node-token" {
		t.Errorf("list row of abcdef: %q", got)
	}
	// TTLs as kubeadm prints them, minutes and seconds included.
	out.Reset()
	if err := token.List(ctx, s.Client, time.Now().Add(2*time.Hour-10*time.Minute), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), tok+"   9m ") {
		t.Errorf("list 10 minutes before expiry:\n%s", out.String())
	}
	out.Reset()
	if err := token.List(ctx, s.Client, time.Now().Add(3*time.Hour), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), tok+"   <invalid> ") {
		t.Errorf("list after expiry:\n%s", out.String())
	}
	for name, f := range map[string]token.CreateFlags{
		"usage":  {Usages: []string{"everything"}},
		"group":  {Groups: []string{"system:masters"}},
		"ttl":    {TTL: -time.Hour},
		"format": {},
	} {
		tok := ""
		if name == "format" {
			tok = "not-a-token"
		}
		if err := token.Create(ctx, s.Client, s.RESTConfig, tok, f, &out); err == nil {
			t.Errorf("bad %s accepted", name)
		}
	}
}
