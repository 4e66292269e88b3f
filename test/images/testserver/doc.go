// Command testserver is the project's test image binary, a small
// stand-in for upstream's agnhost: one static binary whose first argument
// picks a mode.
//
//	netexec [--http-port 8080] [--healthz-fail-after D] [--shutdown-delay D]
//	                      HTTP: /hostname, /echo?msg=, /clientip (the
//	                      caller's ip:port), /exit?code=,
//	                      /healthz (500 once D has passed), /shell?cmd=,
//	                      / (the time); after SIGTERM it serves
//	                      --shutdown-delay longer
//	serve-hostname [--port 9376]
//	                      answers every HTTP request with the hostname
//	fail-probe [--port 8080] [--after D]
//	                      HTTP whose /healthz and /readyz fail after D
//	tcp-echo [--port 7]   echoes every TCP connection back
//	tcp-sink [--port 5201]
//	                      reads and discards every TCP connection
//	tcp-bench --addr H:P [--mode stream|rr] [--duration 5s]
//	                      one connection's throughput to a tcp-sink, or
//	                      1-byte round trips with a tcp-echo (rate, p50,
//	                      p99); bench.go
//	http-get [--timeout 5s] [--connect-timeout D] URL
//	                      prints the body of one GET (fails on non-200;
//	                      a connect timeout names the address dialled)
//	sleep D               sleeps D (a Go duration or seconds), exits 0
//	exit CODE             exits with CODE at once
//	stress-memory BYTES   allocates and touches BYTES (64Mi, 1G, 1000)
//	                      then waits; for OOM tests
//	pause                 waits for SIGTERM/SIGINT, reaping children
//
// Every long-running mode exits 0 on SIGTERM or SIGINT, and the HTTP
// modes log each request ("GET /echo?msg=hi") to stdout. Build it static
// (CGO_ENABLED=0) so that it runs in an image with nothing else in it;
// internal/imagetest builds it into the test images.
package main
