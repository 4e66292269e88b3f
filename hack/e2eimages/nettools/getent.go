package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// getent answers `getent hosts KEY...` as glibc's does with "hosts:
// files dns": the hosts file first, then A and AAAA over DNS with the
// resolv.conf search list; one line per key, "ADDRESS NAME ALIASES".
// Exit codes as glibc's: 0 all found, 1 bad arguments, 2 a key not found.
func getent(e env, args []string) int {
	if len(args) == 0 || args[0] != "hosts" {
		fmt.Fprintln(e.stderr, "getent: only the hosts database is supported (nettools' getent)")
		return 1
	}
	if len(args) == 1 {
		fmt.Fprintln(e.stderr, "getent: listing every host is not supported (nettools' getent)")
		return 1
	}
	rc := 0
	for _, key := range args[1:] {
		line, err := lookupHost(e, key)
		if err != nil || line == "" {
			rc = 2
			continue
		}
		fmt.Fprintln(e.stdout, line)
	}
	return rc
}

func lookupHost(e env, key string) (string, error) {
	if line, err := hostsFileLine(e.hostsFile, key); err != nil || line != "" {
		return line, err
	}
	if a, err := netip.ParseAddr(key); err == nil {
		// glibc answers an address with itself when nothing names it.
		return a.String() + " " + a.String(), nil
	}
	conf, err := mdns.ClientConfigFromFile(e.resolvConf)
	if err != nil {
		return "", err
	}
	c := &mdns.Client{Timeout: 5 * time.Second}
	for _, name := range conf.NameList(key) {
		for _, t := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
			m := new(mdns.Msg)
			m.SetQuestion(name, t)
			m.RecursionDesired = true
			r, err := exchange(c, m, conf.Servers, e.port(conf))
			if err != nil {
				return "", err
			}
			for _, rr := range r.Answer {
				switch rr := rr.(type) {
				case *mdns.A:
					return rr.A.String() + " " + strings.TrimSuffix(name, "."), nil
				case *mdns.AAAA:
					return rr.AAAA.String() + " " + strings.TrimSuffix(name, "."), nil
				}
			}
		}
	}
	return "", nil
}

// hostsFileLine is the first line of the hosts file naming key (or with
// key as its address), "" if none.
func hostsFileLine(path, key string) (string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line, _, _ := strings.Cut(s.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		for _, field := range fields {
			if strings.EqualFold(field, key) {
				return strings.Join(fields, " "), nil
			}
		}
	}
	return "", s.Err()
}

// port is the name servers' port.
func (e env) port(conf *mdns.ClientConfig) string {
	if e.dnsPort != "" {
		return e.dnsPort
	}
	if conf != nil && conf.Port != "" {
		return conf.Port
	}
	return "53"
}
