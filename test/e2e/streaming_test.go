package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinykube/tinykube/internal/streamtest"
)

// TestKubectlStreamingStandIn drives logs, exec, attach and
// port-forward with real kubectl (upstream's current release, which
// tries WebSocket first, and the machine's 1.32) through a real API
// server and the node's kubelet API, over the streamtest stand-in for
// containerd's stream server. TestKubectlStreamingRealNode does the same
// on containerd.
func TestKubectlStreamingStandIn(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, _ int, bin string) {
		c := streamtest.StartCluster(t)
		standInSession(t, newKubectl(t, bin, c.Server.KubeconfigPath), c)
	})
}

func standInSession(t *testing.T, k *kubectl, c *streamtest.Cluster) {
	ns := []string{"-n", "default"}
	args := func(a ...string) []string { return append(append([]string(nil), ns...), a...) }
	if out := k.run(t, args("logs", "web", "-c", "app")...); out != "one\ntwo\n" {
		t.Errorf("logs: %q", out)
	}
	if out := k.run(t, args("logs", "web", "-c", "app", "--tail=1", "--timestamps")...); out != "2024-01-02T03:04:02Z two\n" {
		t.Errorf("logs --tail=1 --timestamps: %q", out)
	}
	k.fail(t, `container "side" in pod "web" is waiting to start: ContainerCreating`, args("logs", "web", "-c", "side")...)

	// logs -f: a line appended later arrives.
	follow := k.start(t, args("logs", "-f", "web", "-c", "app")...)
	follow.expectLine(t, "^two$", 30*time.Second)
	c.AppendLog(t, "2024-01-02T03:04:03Z stdout F three\n")
	follow.expectLine(t, "^three$", 30*time.Second)

	if out := k.runIn(t, "hello\nthrough exec\n", args("exec", "-i", "web", "-c", "app", "--", "cat")...); out != "hello\nthrough exec\n" {
		t.Errorf("exec -i cat: %q", out)
	}
	_, errOut, err := k.exec("", args("exec", "web", "-c", "app", "--", "exit", "3"))
	if exitCode(err) != 3 || !strings.Contains(errOut, "command terminated with exit code 3") {
		t.Errorf("exec exit 3: code %d, stderr %q", exitCode(err), errOut)
	}
	if out := k.runIn(t, "attached\n", args("attach", "-i", "web", "-c", "app")...); !strings.Contains(out, "attached\n") {
		t.Errorf("attach -i: %q", out)
	}

	// port-forward, then an HTTP request through it.
	pf := k.start(t, args("port-forward", "pod/web", ":"+strconv.Itoa(c.Port))...)
	line := pf.expectLine(t, `^Forwarding from 127\.0\.0\.1:\d+ ->`, 30*time.Second)
	local := regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindStringSubmatch(line)[1]
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%s/forwarded", local))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "hello from the pod: GET /forwarded") {
		t.Errorf("through port-forward: %q", body)
	}
}
