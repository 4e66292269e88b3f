// Command nettools is one static binary answering as curl, dig, getent
// and nc (by the name it is called under) in the e2e image stand-ins
// (hack/e2eimages). Upstream's agnhost image is Alpine with curl,
// bind-tools and busybox's nc 1.10-compatible options, its
// glibc-dns-testing image Debian with dnsutils; Debian's busybox-static
// has no dig or getent, its nc knows neither -v, -u nor -z, and its wget
// (a shell script on it stood in for curl before) neither connect
// timeouts nor source addresses. The e2e specs run
//
//	curl -q -s -g -k -L -f -I -X … -o … -w %{http_code} --connect-timeout N --max-time N --interface IP URL
//	dig +notcp|+tcp +noall +answer +search NAME [TYPE]
//	dig +short NAME TYPE
//	getent hosts NAME
//	echo hostName | nc -v -t|-u -w 2 HOST PORT   (and nc -vz HOST PORT -w N)
//
// and that is what it implements: one HTTP(S) request with curl's exit
// codes; queries to the resolv.conf name server with its search list and
// ndots, in dig's answer and short formats; lookups through /etc/hosts
// then DNS; a TCP or UDP client. Any option it does not know is an
// error, never ignored.
package main
