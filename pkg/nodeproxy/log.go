package nodeproxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// logOptions parses and validates PodLogOptions from the query, into
// the kubelet's /containerLogs query: a parameter that does not parse is
// a 400, options that do not validate a 422 (upstream's
// ValidatePodLogOptions).
func logOptions(q url.Values, name string) (container string, kubelet url.Values, err error) {
	kubelet = url.Values{}
	boolean := func(key string) (bool, error) {
		v := q.Get(key)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, apierrors.NewBadRequest(fmt.Sprintf("%s: invalid boolean %q", key, v))
		}
		return b, nil
	}
	integer := func(key string) (*int64, error) {
		v := q.Get(key)
		if v == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("%s: invalid integer %q", key, v))
		}
		return &n, nil
	}
	for _, key := range []string{"follow", "previous", "timestamps"} {
		b, err := boolean(key)
		if err != nil {
			return "", nil, err
		}
		if b {
			kubelet.Set(key, "true")
		}
	}
	if _, err := boolean("insecureSkipTLSVerifyBackend"); err != nil {
		return "", nil, err
	}
	var errs field.ErrorList
	tail, err := integer("tailLines")
	if err != nil {
		return "", nil, err
	}
	if tail != nil {
		if *tail < 0 {
			errs = append(errs, field.Invalid(field.NewPath("tailLines"), *tail, "must be greater than or equal to 0"))
		}
		kubelet.Set("tailLines", strconv.FormatInt(*tail, 10))
	}
	limit, err := integer("limitBytes")
	if err != nil {
		return "", nil, err
	}
	if limit != nil {
		if *limit < 1 {
			errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *limit, "must be greater than 0"))
		}
		kubelet.Set("limitBytes", strconv.FormatInt(*limit, 10))
	}
	since, err := integer("sinceSeconds")
	if err != nil {
		return "", nil, err
	}
	var sinceTime *time.Time
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return "", nil, apierrors.NewBadRequest(fmt.Sprintf("sinceTime: %v", err))
		}
		sinceTime = &t
	}
	switch {
	case since != nil && sinceTime != nil:
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case since != nil:
		if *since < 1 {
			errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *since, "must be greater than 0"))
		}
		kubelet.Set("sinceSeconds", strconv.FormatInt(*since, 10))
	case sinceTime != nil:
		kubelet.Set("sinceTime", sinceTime.Format(time.RFC3339))
	}
	// stream (PodLogsQuerySplitStreams): All by default, as upstream.
	switch v := q.Get("stream"); v {
	case "", "All":
	case "Stdout", "Stderr":
		if tail != nil {
			errs = append(errs, field.Forbidden(field.NewPath(""), "`tailLines` and specific `stream` are mutually exclusive for now"))
		}
		kubelet.Set("stream", v)
	default:
		errs = append(errs, field.NotSupported(field.NewPath("stream"), v, []string{"All", "Stdout", "Stderr"}))
	}
	if len(errs) > 0 {
		return "", nil, apierrors.NewInvalid(schema.GroupKind{Kind: "PodLogOptions"}, name, errs)
	}
	return q.Get("container"), kubelet, nil
}

// serveLog streams the container's log from its node's kubelet; a pod
// not yet on a node has an empty log, as upstream answers.
func (p *Proxy) serveLog(w http.ResponseWriter, r *http.Request, ns, name, _ string) error {
	c, query, err := logOptions(r.URL.Query(), name)
	if err != nil {
		return err
	}
	pod, err := p.pod(r.Context(), ns, name)
	if err != nil {
		return err
	}
	if c, err = container(pod, c); err != nil {
		return err
	}
	if pod.Spec.NodeName == "" {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if sim, err := p.simulated(r.Context(), pod.Spec.NodeName); err != nil {
		return err
	} else if sim {
		return serveSimulatedLog(w, r, pod, c, query)
	}
	addr, err := p.kubeletAddress(r.Context(), pod.Spec.NodeName)
	if err != nil {
		return err
	}
	u := &url.URL{Scheme: "https", Host: addr, Path: fmt.Sprintf("/containerLogs/%s/%s/%s", ns, name, c), RawQuery: query.Encode()}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := p.kubelet.RoundTrip(req)
	if err != nil {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("error reaching the kubelet of node %q: %v", pod.Spec.NodeName, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return backendError(resp, schema.GroupResource{Resource: "pods/log"}, name)
	}
	if isWebSocket(r) {
		streamLogWebSocket(w, r, resp.Body)
		return nil
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			return nil
		}
	}
}

// backendError turns a kubelet's error response into a Status, as
// upstream's response checker does: the body is the message.
func backendError(resp *http.Response, gr schema.GroupResource, name string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(body))
	switch resp.StatusCode {
	case http.StatusInternalServerError:
		return apierrors.NewInternalError(errors.New(msg))
	case http.StatusBadRequest:
		return apierrors.NewBadRequest(msg)
	}
	return apierrors.NewGenericServerResponse(resp.StatusCode, "", gr, name, msg, 0, false)
}
