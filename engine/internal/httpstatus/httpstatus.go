// Package httpstatus records the status of an HTTP answer as it is
// written, for request logs: the one recorder shared by the service's HTTP
// API and the simulator.
package httpstatus

import "net/http"

// Writer is an http.ResponseWriter that remembers the first status
// written: the one given to WriteHeader, or 200 when Write comes first.
// Like any ResponseWriter it is used by one handler goroutine at a time.
type Writer struct {
	http.ResponseWriter
	status int
}

// WriteHeader records code, if no status was recorded yet, and passes it on.
func (w *Writer) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records 200, if no status was recorded yet, and passes b on.
func (w *Writer) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Status is the status recorded, 0 while nothing was written (net/http
// then sends 200 when the handler returns; a handler that aborts sends
// nothing).
func (w *Writer) Status() int { return w.status }

// Unwrap returns the ResponseWriter written to, for http.ResponseController.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
