package httpstatus

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriterStatus(t *testing.T) {
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter)
		want    int
	}{
		{"nothing written", func(http.ResponseWriter) {}, 0},
		{"body first is 200", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, http.StatusOK},
		{"header then body", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot); _, _ = w.Write([]byte("x")) }, http.StatusTeapot},
		{"first header wins", func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted); w.WriteHeader(http.StatusNotFound) }, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			w := &Writer{ResponseWriter: rec}
			tt.handler(w)
			if got := w.Status(); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
			if w.Unwrap() != rec {
				t.Error("Unwrap does not return the writer written to")
			}
		})
	}
}
