package apiserver

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// HealthCheck is one named check of /livez, /readyz or /healthz.
type HealthCheck struct {
	Name string
	// Check returns nil when healthy. r is the probe's request (its
	// context ends with it).
	Check func(r *http.Request) error
}

// alwaysHealthy are the checks upstream lists first on every endpoint:
// ping (the server answers) and log (logging is not stuck; tinykube's
// slog handler writes synchronously, so answering at all proves it).
var alwaysHealthy = []HealthCheck{
	{Name: "ping", Check: func(*http.Request) error { return nil }},
	{Name: "log", Check: func(*http.Request) error { return nil }},
}

// registerHealth serves name (livez, readyz, healthz) as upstream's
// k8s.io/apiserver/pkg/server/healthz does: /name answers "ok", or with
// ?verbose one "[+]check ok" line per check then "name check passed";
// any failing check makes it a 500 listing "[-]check failed: reason
// withheld" and ending "name check failed". ?exclude=check skips one.
// /name/check runs that one check alone ("ok", or 500 "internal server
// error: …"); an unknown check is 404.
func registerHealth(mux *http.ServeMux, name string, checks []HealthCheck) {
	checks = append(slices.Clip(alwaysHealthy), checks...)
	mux.HandleFunc("/"+name, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		excluded := map[string]bool{}
		for _, e := range q["exclude"] {
			excluded[strings.TrimSpace(e)] = true
		}
		var out strings.Builder
		failed := false
		for _, c := range checks {
			if excluded[c.Name] {
				fmt.Fprintf(&out, "[+]%s excluded: ok\n", c.Name)
				delete(excluded, c.Name)
				continue
			}
			if err := c.Check(r); err != nil {
				failed = true
				fmt.Fprintf(&out, "[-]%s failed: reason withheld\n", c.Name)
				continue
			}
			fmt.Fprintf(&out, "[+]%s ok\n", c.Name)
		}
		if len(excluded) > 0 {
			var names []string
			for n := range excluded {
				names = append(names, fmt.Sprintf("%q", n))
			}
			slices.Sort(names)
			fmt.Fprintf(&out, "warn: some health checks cannot be excluded: no matches for %s\n", strings.Join(names, ","))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if failed {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "%s%s check failed\n", out.String(), name)
			return
		}
		if _, verbose := q["verbose"]; !verbose {
			_, _ = w.Write([]byte("ok"))
			return
		}
		fmt.Fprintf(w, "%s%s check passed\n", out.String(), name)
	})
	mux.HandleFunc("/"+name+"/", func(w http.ResponseWriter, r *http.Request) {
		check := strings.TrimPrefix(r.URL.Path, "/"+name+"/")
		i := slices.IndexFunc(checks, func(c HealthCheck) bool { return c.Name == check })
		if i < 0 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := checks[i].Check(r); err != nil {
			http.Error(w, fmt.Sprintf("internal server error: %v", err), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
}
