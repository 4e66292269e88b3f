package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// digQuery is a parsed dig command line.
type digQuery struct {
	name   string
	qtype  uint16
	server string // "" = resolv.conf's
	port   string // "": the env's
	tcp    bool
	search bool
	short  bool
	// answerOnly is +noall +answer: the answer section's records alone.
	noall, answer bool
}

// dig's exit codes: 0 an answer (of any rcode), 1 usage, 9 no reply, 10
// internal error.
func dig(e env, args []string) int {
	q, err := parseDig(args)
	if err != nil {
		fmt.Fprintf(e.stderr, "dig: %v\n", err)
		return 1
	}
	conf, err := mdns.ClientConfigFromFile(e.resolvConf)
	if err != nil && q.server == "" {
		fmt.Fprintf(e.stderr, "dig: %v\n", err)
		return 10
	}
	if q.port == "" {
		q.port = e.port(conf)
	}
	servers := []string{q.server}
	if q.server == "" {
		servers = conf.Servers
	}
	if len(servers) == 0 {
		fmt.Fprintln(e.stderr, "dig: no name server in", e.resolvConf)
		return 10
	}
	names := []string{mdns.Fqdn(q.name)}
	if q.search && conf != nil && !mdns.IsFqdn(q.name) {
		names = conf.NameList(q.name)
	}
	c := &mdns.Client{Net: "udp", Timeout: 5 * time.Second}
	if q.tcp {
		c.Net = "tcp"
	}
	var resp *mdns.Msg
	for _, name := range names {
		m := new(mdns.Msg)
		m.SetQuestion(name, q.qtype)
		m.RecursionDesired = true
		resp, err = exchange(c, m, servers, q.port)
		if err != nil {
			fmt.Fprintf(e.stderr, ";; communications error: %v\n", err)
			return 9
		}
		// dig moves on to the next search domain on NXDOMAIN only.
		if resp.Rcode != mdns.RcodeNameError {
			break
		}
	}
	switch {
	case q.short:
		for _, rr := range resp.Answer {
			fmt.Fprintln(e.stdout, rdata(rr))
		}
	case q.noall && q.answer:
		for _, rr := range resp.Answer {
			fmt.Fprintln(e.stdout, rr.String())
		}
	case q.noall:
	default:
		fmt.Fprintln(e.stdout, resp.String())
	}
	return 0
}

// exchange asks each server in turn (UDP: three tries each, as dig).
func exchange(c *mdns.Client, m *mdns.Msg, servers []string, port string) (*mdns.Msg, error) {
	tries := 3
	if c.Net == "tcp" {
		tries = 1
	}
	var err error
	for _, s := range servers {
		for i := 0; i < tries; i++ {
			var r *mdns.Msg
			if r, _, err = c.Exchange(m, net.JoinHostPort(s, port)); err == nil {
				return r, nil
			}
		}
	}
	return nil, err
}

// rdata is a record in +short form: its data without name, TTL, class
// and type.
func rdata(rr mdns.RR) string {
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

func parseDig(args []string) (digQuery, error) {
	q := digQuery{qtype: mdns.TypeA}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "+"):
			switch a {
			case "+tcp", "+vc":
				q.tcp = true
			case "+notcp", "+novc":
				q.tcp = false
			case "+search":
				q.search = true
			case "+nosearch":
				q.search = false
			case "+short":
				q.short = true
			case "+noall":
				q.noall = true
			case "+answer":
				q.answer = true
			default:
				return q, fmt.Errorf("unsupported option %s (nettools' dig)", a)
			}
		case strings.HasPrefix(a, "@"):
			q.server = a[1:]
		case a == "-p" && i+1 < len(args):
			i++
			if _, err := strconv.ParseUint(args[i], 10, 16); err != nil {
				return q, fmt.Errorf("bad port %q", args[i])
			}
			q.port = args[i]
		case a == "-x" && i+1 < len(args):
			i++
			ptr, err := mdns.ReverseAddr(args[i])
			if err != nil {
				return q, err
			}
			q.name, q.qtype = ptr, mdns.TypePTR
		case strings.HasPrefix(a, "-"):
			return q, fmt.Errorf("unsupported option %s (nettools' dig)", a)
		default:
			rest = append(rest, a)
		}
	}
	for _, a := range rest {
		if t, ok := mdns.StringToType[strings.ToUpper(a)]; ok && q.name != "" {
			q.qtype = t
			continue
		}
		if strings.EqualFold(a, "IN") && q.name != "" {
			continue
		}
		if q.name != "" {
			return q, fmt.Errorf("one name only (nettools' dig): %q and %q", q.name, a)
		}
		q.name = a
	}
	if q.name == "" {
		return q, fmt.Errorf("no name to look up (nettools' dig)")
	}
	return q, nil
}
