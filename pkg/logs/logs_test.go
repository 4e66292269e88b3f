package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

// klog's lines (client-go's) come out of the same handler as slog's, in
// the same format, filtered by the same -v.
func TestKlogRoutedIntoSlog(t *testing.T) {
	var buf bytes.Buffer
	o := NewOptions()
	o.Verbosity, o.Format = 2, "json"
	logger, err := o.Setup(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer klog.ClearLogger()
	logger.Info("from slog")
	logger.Debug("slog debug, not shown at -v 2")
	klog.InfoS("from klog", "k", "v")
	klog.V(2).InfoS("klog V2")
	klog.V(4).InfoS("klog V4, not shown at -v 2")
	klog.ErrorS(errors.New("boom"), "klog error")
	klog.Flush()

	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		msgs = append(msgs, m["msg"].(string)+"@"+m["level"].(string))
	}
	want := []string{"from slog@INFO", "from klog@INFO", "klog V2@V2", "klog error@ERROR"}
	if strings.Join(msgs, ",") != strings.Join(want, ",") {
		t.Errorf("lines: %q, want %q", msgs, want)
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []Options{{Format: "xml"}, {Verbosity: -1, Format: "text"}} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
