package apiserver

import (
	"net/http"
	"runtime/debug"
)

// Warm stacks. net/http serves every request (every HTTP/2 stream) on a
// new goroutine, which starts with a small stack; a write goes deep
// (protobuf decoding, managedFields' structured-merge-diff walks,
// validation) and the runtime grows the stack by copying it, doubling
// each time — about 6 % of the API server's CPU on a create-heavy load.
// withWarmStacks hands requests to long-lived goroutines whose stacks
// have already grown, as grpc-go's server workers do for the same
// reason. When every worker is busy the request starts one more, up to
// maxWorkers; past that it runs on its own goroutine as before, so a
// request never waits for a worker. Watches keep their own goroutine
// (they would hold a worker for their whole life).

// maxWorkers bounds the goroutines kept for requests; idle ones cost a
// few KB each once the garbage collector has shrunk their stacks.
const maxWorkers = 256

type stackJob struct {
	h    http.Handler
	w    http.ResponseWriter
	r    *http.Request
	done chan *handlerPanic
}

// handlerPanic carries a panic from a worker back to the request's own
// goroutine, which re-raises it (the panic filter then logs the
// worker's stack, and http.ErrAbortHandler still aborts).
type handlerPanic struct {
	value any
	stack []byte
}

func withWarmStacks(h http.Handler) http.Handler {
	jobs := make(chan *stackJob)
	workers := make(chan struct{}, maxWorkers)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isLongRunning(r) {
			h.ServeHTTP(w, r)
			return
		}
		job := &stackJob{h: h, w: w, r: r, done: make(chan *handlerPanic, 1)}
		select {
		case jobs <- job:
		default:
			select {
			case workers <- struct{}{}:
				go serveJobs(job, jobs)
			default:
				h.ServeHTTP(w, r)
				return
			}
		}
		if p := <-job.done; p != nil {
			panic(p)
		}
	})
}

// serveJobs runs first, then every job it receives, forever.
func serveJobs(first *stackJob, jobs <-chan *stackJob) {
	for job := first; ; job = <-jobs {
		job.done <- runJob(job)
	}
}

func runJob(job *stackJob) (p *handlerPanic) {
	defer func() {
		if v := recover(); v != nil {
			p = &handlerPanic{value: v, stack: debug.Stack()}
		}
	}()
	job.h.ServeHTTP(job.w, job.r)
	return nil
}
