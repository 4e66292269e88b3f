package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// serve runs h on port until ctx ends, logging each request to stdout.
// After the signal it keeps serving for shutdownDelay (a graceful
// termination test sees the handler run), then stops.
func serve(ctx context.Context, port int, h http.Handler, shutdownDelay time.Duration) error {
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("%s %s\n", r.Method, r.URL.RequestURI())
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Addr: fmt.Sprintf(":%d", port), Handler: logged, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		if shutdownDelay > 0 {
			fmt.Printf("signal received; shutting down in %v\n", shutdownDelay)
			time.Sleep(shutdownDelay)
		}
		fmt.Println("shutting down")
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Printf("serving HTTP on port %d\n", port)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// healthz answers 200 "ok" until failAfter has passed since start
// (never, if failAfter is 0), then 500.
func healthz(start time.Time, failAfter time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if failAfter > 0 && time.Since(start) >= failAfter {
			http.Error(w, fmt.Sprintf("failing: started %v ago, fail after %v", time.Since(start).Round(time.Second), failAfter), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	}
}

func netexec(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("netexec", flag.ExitOnError)
	port := fs.Int("http-port", 8080, "HTTP port")
	failAfter := fs.Duration("healthz-fail-after", 0, "make /healthz fail this long after start (0: never)")
	shutdownDelay := fs.Duration("shutdown-delay", 0, "keep serving this long after SIGTERM")
	parseFlags(fs, args)
	start := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "NOW: %v", time.Now())
	})
	mux.HandleFunc("/hostname", func(w http.ResponseWriter, r *http.Request) {
		name, _ := os.Hostname()
		fmt.Fprint(w, name)
	})
	mux.HandleFunc("/clientip", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.RemoteAddr)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.FormValue("msg"))
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.FormValue("code"))
		if err != nil || code < 0 || code > 255 {
			http.Error(w, "code: want 0-255", http.StatusBadRequest)
			return
		}
		fmt.Printf("exiting with %d (asked over HTTP)\n", code)
		os.Exit(code)
	})
	mux.Handle("/healthz", healthz(start, *failAfter))
	mux.HandleFunc("/shell", func(w http.ResponseWriter, r *http.Request) {
		out, err := exec.CommandContext(r.Context(), "/bin/sh", "-c", r.FormValue("cmd")).CombinedOutput()
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "%s\nerror: %v\n", out, err)
			return
		}
		w.Write(out)
	})
	return serve(ctx, *port, mux, *shutdownDelay)
}

func serveHostname(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve-hostname", flag.ExitOnError)
	port := fs.Int("port", 9376, "HTTP port")
	parseFlags(fs, args)
	name, err := os.Hostname()
	if err != nil {
		return err
	}
	return serve(ctx, *port, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, name)
	}), 0)
}

func failProbe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fail-probe", flag.ExitOnError)
	port := fs.Int("port", 8080, "HTTP port")
	after := fs.Duration("after", 0, "answer 200 this long before failing")
	parseFlags(fs, args)
	h := healthz(time.Now(), max(*after, time.Nanosecond))
	mux := http.NewServeMux()
	mux.Handle("/healthz", h)
	mux.Handle("/readyz", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "fail-probe") })
	return serve(ctx, *port, mux, 0)
}
