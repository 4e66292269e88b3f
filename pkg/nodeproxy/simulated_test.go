package nodeproxy

import (
	"net/url"
	"testing"
	"time"
)

// TestRenderLog: the synthetic log of a simulated container takes the
// kubelet's log options.
func TestRenderLog(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	lines := []logLine{{start, "one"}, {start, "two"}, {start.Add(time.Minute), "three"}}
	for _, tc := range []struct {
		query url.Values
		want  string
	}{
		{url.Values{}, "one\ntwo\nthree\n"},
		{url.Values{"tailLines": {"1"}}, "three\n"},
		{url.Values{"tailLines": {"0"}}, ""},
		{url.Values{"timestamps": {"true"}, "tailLines": {"2"}}, "2026-01-02T03:04:05Z two\n2026-01-02T03:05:05Z three\n"},
		{url.Values{"limitBytes": {"6"}}, "one\ntw"},
		{url.Values{"sinceTime": {start.Add(30 * time.Second).Format(time.RFC3339)}}, "three\n"},
		{url.Values{"stream": {"Stderr"}}, ""},
	} {
		got, err := renderLog(lines, tc.query)
		if err != nil || string(got) != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.query, got, err, tc.want)
		}
	}
}
