package dns

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
)

// dnsSchemaVersion is the Kubernetes DNS specification's version,
// answered as TXT dns-version.<zone>.
const dnsSchemaVersion = "1.1.0"

// maxCNAMEChain bounds the CNAMEs followed inside the zone.
const maxCNAMEChain = 10

// q is one question in the cluster domain: the name as asked (its case
// is kept in the answer), lower-cased, and the zone as asked.
type q struct {
	name, lower, zone string
	base              string // lower less the zone ("" for the zone)
	qtype             uint16
}

// answerCluster answers a question in the cluster domain as the
// kubernetes plugin does (its ServeDNS).
func (s *Server) answerCluster(ctx context.Context, r *mdns.Msg, qq q) *mdns.Msg {
	var (
		records, extra []mdns.RR
		err            error
	)
	switch qq.qtype {
	case mdns.TypeA, mdns.TypeAAAA:
		records, err = s.addresses(ctx, qq, 0)
	case mdns.TypeTXT:
		records, err = s.txt(qq)
	case mdns.TypeCNAME:
		var recs []record
		if recs, err = s.records(qq.base); err == nil && len(recs) > 0 {
			if _, isIP := recs[0].addr(); !isIP {
				records = []mdns.RR{s.cname(qq.name, recs[0].host)}
			}
		}
	case mdns.TypePTR:
		// A reverse name is not under the cluster domain: this is a
		// PTR question for a forward name, which has none.
		_, err = s.cluster.records(qq.base)
	case mdns.TypeSRV:
		records, extra, err = s.srv(qq)
	case mdns.TypeSOA:
		if qq.base == "" {
			records = []mdns.RR{s.soa(qq.zone)}
		}
	case mdns.TypeAXFR, mdns.TypeIXFR:
		return failure(r, mdns.RcodeRefused)
	case mdns.TypeNS:
		if qq.base == "" {
			records, extra = s.ns(qq)
			break
		}
		fallthrough
	default:
		// MX and every other type: the name exists (NODATA) or not.
		fake := qq
		fake.qtype = mdns.TypeA
		_, err = s.addresses(ctx, fake, 0)
	}
	if errors.Is(err, errNameError) {
		return s.negative(r, qq.zone, mdns.RcodeNameError)
	}
	if err != nil {
		return failure(r, mdns.RcodeServerFailure)
	}
	if len(records) == 0 {
		return s.negative(r, qq.zone, mdns.RcodeSuccess)
	}
	m := new(mdns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	m.Answer, m.Extra = records, extra
	return m
}

// records are the records of base: the kube-dns Service's (or this
// server's) addresses for ns.dns.<zone>, else the cluster's.
func (s *Server) records(base string) ([]record, error) {
	if base == "ns.dns" {
		return s.nsRecords(), nil
	}
	return s.cluster.records(base)
}

// negative is NXDOMAIN or NODATA (rcode NOERROR, no answer): the zone's
// SOA in the authority section, authoritative.
func (s *Server) negative(r *mdns.Msg, zone string, rcode int) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetRcode(r, rcode)
	m.Authoritative = true
	m.Ns = []mdns.RR{s.soa(zone)}
	return m
}

// failure is an error answer (SERVFAIL, REFUSED), as CoreDNS writes
// one for a plugin's error: not authoritative, nothing in it.
func failure(r *mdns.Msg, rcode int) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetRcode(r, rcode)
	return m
}

func (s *Server) hdr(name string, t uint16) mdns.RR_Header {
	return mdns.RR_Header{Name: name, Rrtype: t, Class: mdns.ClassINET, Ttl: s.cfg.TTL}
}

// soa is the zone's SOA as CoreDNS makes it: serial = when the
// informers last saw a change (Unix seconds).
func (s *Server) soa(zone string) mdns.RR {
	h := s.hdr(zone, mdns.TypeSOA)
	h.Ttl = min(s.cfg.TTL, 300)
	return &mdns.SOA{Hdr: h, Ns: "ns.dns." + zone, Mbox: "hostmaster." + zone,
		Serial: s.modified.Load(), Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: s.cfg.TTL}
}

func (s *Server) cname(name, target string) mdns.RR {
	return &mdns.CNAME{Hdr: s.hdr(name, mdns.TypeCNAME), Target: mdns.Fqdn(target)}
}

func (s *Server) address(name string, a netip.Addr) mdns.RR {
	if a.Is4() || a.Is4In6() {
		return &mdns.A{Hdr: s.hdr(name, mdns.TypeA), A: a.Unmap().AsSlice()}
	}
	return &mdns.AAAA{Hdr: s.hdr(name, mdns.TypeAAAA), AAAA: a.AsSlice()}
}

// family reports whether a is of the family qtype (A or AAAA) asks for.
func family(a netip.Addr, qtype uint16) bool {
	return (a.Is4() || a.Is4In6()) == (qtype == mdns.TypeA)
}

// addresses are the A or AAAA records of qq.name; an ExternalName's
// CNAME is followed inside the zone, and its target resolved upstream
// otherwise (the CNAME is left out when that fails, as CoreDNS does).
func (s *Server) addresses(ctx context.Context, qq q, depth int) ([]mdns.RR, error) {
	recs, err := s.records(qq.base)
	if err != nil {
		return nil, err
	}
	var out []mdns.RR
	var seen []netip.Addr // few: a linear scan beats a map
	for _, rec := range recs {
		if a, ok := rec.addr(); ok {
			if !family(a, qq.qtype) || slices.Contains(seen, a) {
				continue
			}
			seen = append(seen, a)
			out = append(out, s.address(qq.name, a))
			continue
		}
		target := mdns.Fqdn(rec.host)
		if target == qq.lower || depth >= maxCNAMEChain {
			continue
		}
		cname := s.cname(qq.name, target)
		if base, ok := s.inZone(target); ok {
			next, err := s.addresses(ctx, q{name: target, lower: target, zone: qq.zone, base: base, qtype: qq.qtype}, depth+1)
			if err == nil && len(next) > 0 {
				out = append(out, cname)
				out = append(out, next...)
			}
			continue
		}
		req := new(mdns.Msg)
		req.SetQuestion(target, qq.qtype)
		resp, err := s.fwd.exchange(ctx, req, false)
		if err != nil || resp == nil {
			continue
		}
		out = append(out, cname)
		out = append(out, resp.Answer...)
	}
	return out, nil
}

// inZone reports whether name (fully qualified) is in the cluster domain,
// and its base (the name less the zone).
func (s *Server) inZone(name string) (string, bool) {
	lower := lowerASCII(name)
	if lower == s.cluster.zone {
		return "", true
	}
	if strings.HasSuffix(lower, "."+s.cluster.zone) {
		return strings.TrimSuffix(lower, "."+s.cluster.zone), true
	}
	return "", false
}

// txt answers dns-version.<zone>; any other name that exists has no TXT.
func (s *Server) txt(qq q) ([]mdns.RR, error) {
	if qq.base == "dns-version" {
		h := s.hdr(qq.name, mdns.TypeTXT)
		h.Ttl = 28800
		return []mdns.RR{&mdns.TXT{Hdr: h, Txt: []string{dnsSchemaVersion}}}, nil
	}
	recs, err := s.cluster.records(qq.base)
	if len(recs) > 0 {
		return nil, nil
	}
	if err == nil {
		err = errNameError
	}
	return nil, err
}

// srv answers SRV: for a ClusterIP Service one record per port, target
// the Service's name; for a headless one one per endpoint and port,
// target the endpoint's name; with the targets' addresses as extra
// records. Weights share 100 among the records, as CoreDNS's.
func (s *Server) srv(qq q) (records, extra []mdns.RR, err error) {
	if qq.base == "ns.dns" {
		return nil, nil, nil
	}
	all, err := s.cluster.records(qq.base)
	if err != nil {
		return nil, nil, err
	}
	// SRV for ExternalName Services is not implemented by CoreDNS
	// either: their records are left out (NODATA).
	var recs []record
	for _, rec := range all {
		if _, isIP := rec.addr(); isIP {
			recs = append(recs, rec)
		}
	}
	weight := uint16(1)
	if len(recs) > 0 {
		weight = max(uint16(math.Floor(100.0/float64(len(recs)))), 1)
	}
	type key struct {
		target, addr string
		port         int
	}
	dup := map[key]bool{}
	for _, rec := range recs {
		if rec.port == -1 {
			continue
		}
		a, _ := rec.addr()
		target := rec.name
		if k := (key{target: target, port: rec.port}); !dup[k] {
			dup[k] = true
			records = append(records, &mdns.SRV{Hdr: s.hdr(qq.name, mdns.TypeSRV), Priority: 0, Weight: weight, Port: uint16(rec.port), Target: target})
		}
		if k := (key{target: target, addr: rec.host}); !dup[k] {
			dup[k] = true
			extra = append(extra, s.address(target, a))
		}
	}
	return records, extra, nil
}

// ns answers NS at the zone's apex: the kube-dns Service's name and
// address when it has one, else ns.dns.<zone> and this server's.
func (s *Server) ns(qq q) (records, extra []mdns.RR) {
	seen := map[string]bool{}
	for _, rec := range s.nsRecords() {
		a, _ := rec.addr()
		if !seen[rec.name+" "+rec.host] {
			seen[rec.name+" "+rec.host] = true
			extra = append(extra, s.address(rec.name, a))
		}
		if !seen[rec.name] {
			seen[rec.name] = true
			records = append(records, &mdns.NS{Hdr: s.hdr(qq.name, mdns.TypeNS), Ns: rec.name})
		}
	}
	return records, extra
}

// nsRecords are the name servers' names and addresses.
func (s *Server) nsRecords() []record {
	if s.cfg.Self != "" {
		ns, name, _ := strings.Cut(s.cfg.Self, "/")
		if recs, err := s.cluster.records(name + "." + ns + "." + svcLabel); err == nil {
			var out []record
			for _, rec := range recs {
				if _, ok := rec.addr(); ok {
					out = append(out, record{host: rec.host, name: rec.name})
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	if s.cfg.SelfIP.IsValid() {
		return []record{{host: s.cfg.SelfIP.String(), name: "ns.dns." + s.cluster.zone}}
	}
	return nil
}

// reverseZones are the reverse zones the server holds, as CoreDNS's
// kubernetes plugin with `kubernetes cluster.local in-addr.arpa ip6.arpa`.
var reverseZones = []string{"in-addr.arpa.", "ip6.arpa."}

// answerReverse answers a question under in-addr.arpa or ip6.arpa as
// CoreDNS does there: PTR from the cluster's ClusterIPs and endpoints,
// SOA and NS at the zone's apex, NODATA for SOA below it and for every
// other type at the apex, AXFR refused. ok is false for the rest (PTR
// of an address the cluster has no name for, other types below the
// apex): they are forwarded, as `fallthrough in-addr.arpa ip6.arpa`
// makes CoreDNS do.
func (s *Server) answerReverse(r *mdns.Msg, name string, qtype uint16) (*mdns.Msg, bool) {
	lower := lowerASCII(name)
	var zone string
	for _, z := range reverseZones {
		if lower == z || strings.HasSuffix(lower, "."+z) {
			zone = name[len(name)-len(z):]
		}
	}
	if zone == "" {
		return nil, false
	}
	apex := len(zone) == len(name)
	switch {
	case qtype == mdns.TypeAXFR || qtype == mdns.TypeIXFR:
		return failure(r, mdns.RcodeRefused), true
	case qtype == mdns.TypeSOA && apex:
		m := new(mdns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		m.Answer = []mdns.RR{s.soa(zone)}
		return m, true
	case qtype == mdns.TypeNS && apex:
		m := new(mdns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		m.Answer, m.Extra = s.ns(q{name: name, zone: zone})
		if len(m.Answer) == 0 {
			return s.negative(r, zone, mdns.RcodeSuccess), true
		}
		return m, true
	case apex && qtype == mdns.TypeTXT:
		return nil, false // CoreDNS: no dns-version there, a name error that falls through
	case qtype == mdns.TypeSOA || apex:
		return s.negative(r, zone, mdns.RcodeSuccess), true
	case qtype != mdns.TypePTR:
		return nil, false
	}
	ip := reverseAddr(name)
	if ip == "" {
		return nil, false
	}
	names := s.cluster.reverse(ip)
	if len(names) == 0 {
		return nil, false
	}
	m := new(mdns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			m.Answer = append(m.Answer, &mdns.PTR{Hdr: s.hdr(name, mdns.TypePTR), Ptr: n})
		}
	}
	return m, true
}

// reverseAddr is the address a reverse name (…in-addr.arpa.,
// …ip6.arpa.) stands for, canonical; "" if it names none.
func reverseAddr(name string) string {
	name = lowerASCII(name)
	var a netip.Addr
	switch {
	case strings.HasSuffix(name, ".in-addr.arpa."):
		labels := mdns.SplitDomainName(strings.TrimSuffix(name, ".in-addr.arpa."))
		if len(labels) != 4 {
			return ""
		}
		var b [4]byte
		for i, l := range labels {
			n, ok := octet(l)
			if !ok {
				return ""
			}
			b[3-i] = n
		}
		a = netip.AddrFrom4(b)
	case strings.HasSuffix(name, ".ip6.arpa."):
		labels := mdns.SplitDomainName(strings.TrimSuffix(name, ".ip6.arpa."))
		if len(labels) != 32 {
			return ""
		}
		var b [16]byte
		for i, l := range labels {
			if len(l) != 1 {
				return ""
			}
			n := strings.IndexByte("0123456789abcdef", l[0])
			if n < 0 {
				return ""
			}
			pos := 31 - i
			if pos%2 == 0 {
				b[pos/2] |= byte(n) << 4
			} else {
				b[pos/2] |= byte(n)
			}
		}
		a = netip.AddrFrom16(b)
	default:
		return ""
	}
	return a.String()
}

func octet(s string) (byte, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 255 {
		return 0, false
	}
	return byte(n), true
}
