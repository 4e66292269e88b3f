package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// curlArgs is a parsed curl command line.
type curlArgs struct {
	url             string
	method          string
	data            string
	silent, showErr bool
	fail, follow    bool
	insecure        bool
	verbose         bool
	include, head   bool
	output          string // -o ("" = stdout)
	writeOut        string // -w
	connectTimeout  time.Duration
	maxTime         time.Duration
	iface           string // --interface: a local address or a link name
}

// curl's exit codes the specs see.
const (
	curlUsage       = 2
	curlResolve     = 6
	curlConnect     = 7
	curlHTTPError   = 22
	curlWrite       = 23
	curlTimeout     = 28
	curlRecv        = 56
	curlOtherFailed = 1
)

// curl makes one HTTP(S) request as curl does with the options the e2e
// specs pass (-s -S -q -g -k -L -f -v -i -I -X -d -o -w
// --connect-timeout --max-time --interface): the body to stdout, errors
// to stderr unless -s, curl's exit codes.
func curl(e env, args []string) int {
	a, err := parseCurl(args)
	if err != nil {
		fmt.Fprintf(e.stderr, "curl: %v\n", err)
		return curlUsage
	}
	fail := func(code int, err error) int {
		if !a.silent || a.showErr {
			fmt.Fprintf(e.stderr, "curl: (%d) %v\n", code, err)
		}
		return code
	}
	dialer := &net.Dialer{Timeout: a.connectTimeout}
	if a.iface != "" {
		ip, err := interfaceAddr(a.iface)
		if err != nil {
			return fail(45, err)
		}
		dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	tr := &http.Transport{
		DialContext:        dialer.DialContext,
		DisableCompression: true,
		TLSClientConfig:    &tls.Config{InsecureSkipVerify: a.insecure},
	}
	client := &http.Client{Transport: tr, Timeout: a.maxTime}
	if !a.follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	var body io.Reader
	if a.data != "" {
		body = strings.NewReader(a.data)
	}
	req, err := http.NewRequestWithContext(context.Background(), a.method, a.url, body)
	if err != nil {
		return fail(3, err)
	}
	req.Header.Set("User-Agent", "curl/8 (tinykube nettools)")
	if a.data != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if a.verbose {
		fmt.Fprintf(e.stderr, "> %s %s HTTP/1.1\n", req.Method, req.URL.RequestURI())
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail(curlErrCode(err), err)
	}
	defer resp.Body.Close()
	if a.verbose {
		fmt.Fprintf(e.stderr, "< %s %s\n", resp.Proto, resp.Status)
	}
	if a.fail && resp.StatusCode >= 400 {
		return fail(curlHTTPError, fmt.Errorf("The requested URL returned error: %d", resp.StatusCode))
	}
	out := e.stdout
	if a.output != "" && a.output != "-" {
		f, err := os.Create(a.output)
		if err != nil {
			return fail(curlWrite, err)
		}
		defer f.Close()
		out = f
	}
	if a.include || a.head {
		fmt.Fprintf(out, "%s %s\r\n", resp.Proto, resp.Status)
		resp.Header.Write(out)
		fmt.Fprint(out, "\r\n")
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return fail(curlErrCode(err), err)
	}
	if a.writeOut != "" {
		w := strings.NewReplacer(`%{http_code}`, fmt.Sprintf("%03d", resp.StatusCode), `\n`, "\n", `\t`, "\t").Replace(a.writeOut)
		fmt.Fprint(e.stdout, w)
	}
	return 0
}

func curlErrCode(err error) int {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var nerr net.Error
	switch {
	case errors.As(err, &nerr) && nerr.Timeout():
		return curlTimeout
	case errors.As(err, &dnsErr):
		return curlResolve
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return curlConnect
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return 52 // empty reply
	case errors.As(err, &opErr) && opErr.Op == "read":
		return curlRecv
	}
	return curlOtherFailed
}

// interfaceAddr is --interface's address: the argument itself, or the
// first address of the link of that name.
func interfaceAddr(s string) (net.IP, error) {
	if ip := net.ParseIP(s); ip != nil {
		return ip, nil
	}
	ifi, err := net.InterfaceByName(s)
	if err != nil {
		return nil, err
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			return n.IP, nil
		}
	}
	return nil, fmt.Errorf("interface %s has no address", s)
}

func parseCurl(args []string) (curlArgs, error) {
	a := curlArgs{method: http.MethodGet}
	value := func(i *int, name string) (string, error) {
		if *i+1 >= len(args) {
			return "", fmt.Errorf("option %s: requires parameter", name)
		}
		*i++
		return args[*i], nil
	}
	seconds := func(s string) (time.Duration, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("bad number of seconds %q", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	method := ""
	for i := 0; i < len(args); i++ {
		arg := args[i]
		var err error
		switch {
		case arg == "--silent":
			a.silent = true
		case arg == "--show-error":
			a.showErr = true
		case arg == "--fail":
			a.fail = true
		case arg == "--location":
			a.follow = true
		case arg == "--insecure":
			a.insecure = true
		case arg == "--verbose":
			a.verbose = true
		case arg == "--include":
			a.include = true
		case arg == "--head":
			a.head = true
		case arg == "--globoff", arg == "--disable":
		case arg == "--connect-timeout":
			var v string
			if v, err = value(&i, arg); err == nil {
				a.connectTimeout, err = seconds(v)
			}
		case arg == "--max-time":
			var v string
			if v, err = value(&i, arg); err == nil {
				a.maxTime, err = seconds(v)
			}
		case arg == "--interface":
			a.iface, err = value(&i, arg)
		case arg == "--output":
			a.output, err = value(&i, arg)
		case arg == "--request":
			method, err = value(&i, arg)
		case arg == "--data":
			a.data, err = value(&i, arg)
		case arg == "--write-out":
			a.writeOut, err = value(&i, arg)
		case strings.HasPrefix(arg, "--"):
			return a, fmt.Errorf("option %s: unsupported (nettools' curl)", arg)
		case len(arg) > 1 && arg[0] == '-':
			// Short options, bundled (-sIk); the last may take a value,
			// attached (-XPOST) or next.
			for j := 1; j < len(arg); j++ {
				c := arg[j]
				takes := strings.IndexByte("XdowmH", c) >= 0
				var v string
				if takes {
					if v = arg[j+1:]; v == "" {
						if v, err = value(&i, "-"+string(c)); err != nil {
							return a, err
						}
					}
					j = len(arg)
				}
				switch c {
				case 's':
					a.silent = true
				case 'S':
					a.showErr = true
				case 'q', 'g':
				case 'k':
					a.insecure = true
				case 'L':
					a.follow = true
				case 'f':
					a.fail = true
				case 'v':
					a.verbose = true
				case 'i':
					a.include = true
				case 'I':
					a.head = true
				case 'X':
					method = v
				case 'd':
					a.data = v
				case 'o':
					a.output = v
				case 'w':
					a.writeOut = v
				case 'm':
					a.maxTime, err = seconds(v)
				default:
					return a, fmt.Errorf("option -%c: unsupported (nettools' curl)", c)
				}
				if err != nil {
					return a, err
				}
			}
		default:
			if a.url != "" {
				return a, fmt.Errorf("one URL only (nettools' curl): %q and %q", a.url, arg)
			}
			a.url = arg
		}
		if err != nil {
			return a, err
		}
	}
	if a.url == "" {
		return a, errors.New("no URL specified")
	}
	if !strings.Contains(a.url, "://") {
		a.url = "http://" + a.url
	}
	switch {
	case method != "":
		a.method = method
	case a.head:
		a.method = http.MethodHead
	case a.data != "":
		a.method = http.MethodPost
	}
	return a, nil
}
