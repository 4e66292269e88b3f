#!/bin/sh
# curl stand-in for the e2e images (hack/e2eimages): plain HTTP GETs
# through busybox wget, for the e2e specs that run `curl URL` in an
# agnhost container (lifecycle hooks). Any option it does not know is an
# error, never silently ignored.
url=
while [ $# -gt 0 ]; do
	case $1 in
	-s | -S | -sS | -q | -g | -f | -fs | -sf | -L) ;;
	--connect-timeout | -m | --max-time) shift ;; # no timeouts in busybox wget: waits
	http://* | https://*)
		[ -z "$url" ] || { echo "curl stand-in: one URL only" >&2; exit 2; }
		url=$1 ;;
	*) echo "curl stand-in (busybox wget): unsupported argument: $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$url" ] || { echo "curl stand-in: no URL" >&2; exit 2; }
exec wget -q -O - "$url"
