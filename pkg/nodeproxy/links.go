package nodeproxy

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// links keeps the links of a proxied page under the proxy path, as
// upstream's proxy subresources do (k8s.io/apimachinery/pkg/util/proxy,
// the handler's default transport): a page served at
// /api/v1/namespaces/ns/pods/web/proxy/ that links to "/rewriteme" must
// send the browser to …/pods/web/proxy/rewriteme, not to the API server's
// /rewriteme.
//
// What upstream does, and so this:
//   - the request carries X-Forwarded-Uri, the path the client asked
//     for;
//   - a Location header (of any response) is rewritten and the body is
//     then left alone;
//   - a body whose Content-Type is text/html (parameters aside; the
//     match is exact) has the URL-valued attributes of its tags
//     rewritten; identity, gzip and (raw) deflate bodies are decoded
//     and re-encoded, other encodings pass unchanged; each start tag is
//     re-serialised, so attribute quoting may change;
//   - the backend's CORS headers are dropped.
//
// A URL is rewritten when its path is absolute and it has no host or the
// backend's or the client-facing host: the scheme and host are dropped
// (kept when the host is the client-facing one) and the proxy path is
// joined in front, unless the path already starts with it. Relative
// paths and other hosts are left as written. Upgrades are not touched.
type links struct {
	// prefix is the proxy path: the request's path without the sub-path
	// relayed to the backend (…/pods/web:8080/proxy).
	prefix string
	// backend is the backend's host:port; client the Host the client
	// asked for.
	backend, client string
}

// newLinks returns the links of a request r relayed to target.
func newLinks(r *http.Request, target *url.URL) *links {
	suffix := target.Path
	if strings.HasSuffix(r.URL.Path, "/") && !strings.HasSuffix(suffix, "/") {
		suffix += "/"
	}
	return &links{prefix: strings.TrimSuffix(r.URL.Path, suffix), backend: target.Host, client: r.Host}
}

// forwardedURI is the X-Forwarded-Uri of a request for u.
func (l *links) forwardedURI(u *url.URL) string {
	s := path.Join(l.prefix, u.EscapedPath())
	if strings.HasSuffix(u.Path, "/") {
		s += "/"
	}
	return s
}

// rewrite returns u as the page's reader must follow it.
func (l *links) rewrite(u *url.URL) string {
	if u.Host != "" && u.Host != l.backend && u.Host != l.client {
		return u.String() // another host
	}
	if !strings.HasPrefix(u.Path, "/") {
		return u.String() // relative: resolves under the proxy already
	}
	if u.Host != l.client {
		u.Scheme, u.Host = "", ""
	}
	if strings.HasPrefix(u.Path, l.prefix) {
		return u.String()
	}
	slash := strings.HasSuffix(u.Path, "/")
	u.Path = path.Join(l.prefix, u.Path)
	if slash {
		u.Path += "/"
	}
	return u.String()
}

// modifyResponse is the relay's ModifyResponse.
func (l *links) modifyResponse(resp *http.Response) error {
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return nil
	}
	for _, h := range []string{"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
		"Access-Control-Allow-Methods", "Access-Control-Allow-Origin"} {
		resp.Header.Del(h)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := url.Parse(loc)
		if err != nil {
			return fmt.Errorf("error trying to parse Location header: %w", err)
		}
		resp.Header.Set("Location", l.rewrite(u))
		return nil
	}
	ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	if strings.TrimSpace(ct) != "text/html" {
		return nil
	}
	return l.rewriteBody(resp)
}

// rewriteBody rewrites the links of an HTML body, decoding and
// re-encoding it when it is compressed.
func (l *links) rewriteBody(resp *http.Response) error {
	var (
		in    io.Reader = resp.Body
		out   bytes.Buffer
		w     io.Writer = &out
		close           = func() error { return nil }
	)
	switch enc := resp.Header.Get("Content-Encoding"); enc {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return fmt.Errorf("reading the gzip-encoded page: %w", err)
		}
		zw := gzip.NewWriter(&out)
		in, w, close = zr, zw, zw.Close
	case "deflate":
		// Raw DEFLATE, as upstream reads it.
		fw, _ := flate.NewWriter(&out, flate.BestCompression)
		in, w, close = flate.NewReader(resp.Body), fw, fw.Close
	default:
		return nil // an encoding not understood: relayed as is
	}
	defer resp.Body.Close()
	if err := rewriteHTML(in, w, l.rewrite); err != nil {
		return fmt.Errorf("rewriting the links of the page: %w", err)
	}
	if err := close(); err != nil {
		return err
	}
	resp.Body = io.NopCloser(&out)
	resp.Header.Del("Content-Length")
	resp.ContentLength = int64(out.Len())
	return nil
}

// urlAttrs are the URL-valued attributes of HTML elements
// (https://html.spec.whatwg.org/#attributes-3 and HTML 4's).
var urlAttrs = map[atom.Atom][]string{
	atom.A: {"href"}, atom.Applet: {"codebase"}, atom.Area: {"href"}, atom.Audio: {"src"},
	atom.Base: {"href"}, atom.Blockquote: {"cite"}, atom.Body: {"background"},
	atom.Button: {"formaction"}, atom.Command: {"icon"}, atom.Del: {"cite"}, atom.Embed: {"src"},
	atom.Form: {"action"}, atom.Frame: {"longdesc", "src"}, atom.Head: {"profile"},
	atom.Html: {"manifest"}, atom.Iframe: {"longdesc", "src"}, atom.Img: {"longdesc", "src", "usemap"},
	atom.Input: {"src", "usemap", "formaction"}, atom.Ins: {"cite"}, atom.Link: {"href"},
	atom.Object: {"classid", "codebase", "data", "usemap"}, atom.Q: {"cite"}, atom.Script: {"src"},
	atom.Source: {"src"}, atom.Video: {"poster", "src"},
}

// rewriteHTML copies the page from in to out, passing the URL-valued
// attributes of its start tags through rewrite (values that do not parse
// as URLs are kept). The rest is copied byte for byte.
func rewriteHTML(in io.Reader, out io.Writer, rewrite func(*url.URL) string) error {
	z := html.NewTokenizer(in)
	for {
		var err error
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return err
			}
			return nil
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			for i, a := range tok.Attr {
				if !isURLAttr(tok.DataAtom, a.Key) {
					continue
				}
				if u, perr := url.Parse(a.Val); perr == nil {
					tok.Attr[i].Val = rewrite(u)
				}
			}
			_, err = io.WriteString(out, tok.String())
		default:
			_, err = out.Write(z.Raw())
		}
		if err != nil {
			return err
		}
	}
}

func isURLAttr(tag atom.Atom, key string) bool {
	for _, k := range urlAttrs[tag] {
		if k == key {
			return true
		}
	}
	return false
}
