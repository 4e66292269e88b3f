// Command nettools is one static binary answering as dig, getent and nc
// (by the name it is called under) in the e2e image stand-ins
// (hack/e2eimages): upstream's agnhost image is Alpine with bind-tools
// and busybox's nc 1.10-compatible options, and its glibc-dns-testing
// image Debian with dnsutils; Debian's busybox-static has no dig or
// getent, and its nc knows neither -v, -u nor -z. The e2e specs run
//
//	dig +notcp|+tcp +noall +answer +search NAME [TYPE]
//	dig +short NAME TYPE
//	getent hosts NAME
//	echo hostName | nc -v -t|-u -w 2 HOST PORT   (and nc -vz HOST PORT -w N)
//
// and that is what it implements: queries to the resolv.conf name
// server with its search list and ndots, output in dig's answer and
// short formats, lookups through /etc/hosts then DNS, a TCP or UDP
// client. Any option it does not know is an error, never ignored.
package main
