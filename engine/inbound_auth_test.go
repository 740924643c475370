package engine_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
)

func TestCheckInboundAuth(t *testing.T) {
	e := enginetest.Bundled(t)
	secrets := map[string]string{"appKey": "key-1", "appToken": "token-1"}
	lookup := func(name string) (string, bool) { v, ok := secrets[name]; return v, ok }
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	if err := e.CheckInboundAuth("fastshop", "orders", hdr("X-API-AppKey", "key-1", "X-API-AppToken", "token-1"), lookup); err != nil {
		t.Fatalf("good headers refused: %v", err)
	}
	tests := []struct {
		name   string
		header http.Header
		kind   engine.Kind
		code   string
		names  string // the header the message must name
	}{
		{"wrong token", hdr("X-API-AppKey", "key-1", "X-API-AppToken", "nope"), engine.KindRejected, engine.CodeUnauthorized, "X-API-AppToken"},
		{"missing key", hdr("X-API-AppToken", "token-1"), engine.KindRejected, engine.CodeUnauthorized, "X-API-AppKey"},
		{"no headers", hdr(), engine.KindRejected, engine.CodeUnauthorized, "X-API-AppKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.CheckInboundAuth("fastshop", "orders", tt.header, lookup)
			var te *engine.Error
			if !errors.As(err, &te) || te.Kind != tt.kind || te.Code != tt.code || !strings.Contains(te.Message, tt.names) {
				t.Fatalf("err = %v, want %s/%s naming %s", err, tt.kind, tt.code, tt.names)
			}
			if strings.Contains(te.Message, "token-1") || strings.Contains(te.Message, "key-1") {
				t.Errorf("a secret value leaked into the message: %s", te.Message)
			}
		})
	}
	err := e.CheckInboundAuth("fastshop", "orders", hdr("X-API-AppKey", "k"), func(string) (string, bool) { return "", false })
	var te *engine.Error
	if !errors.As(err, &te) || te.Kind != engine.KindConfiguration || !strings.Contains(te.Message, "ROTA_SECRET_FASTSHOP_APPKEY") {
		t.Errorf("unset secret: err = %v, want a configuration error naming ROTA_SECRET_FASTSHOP_APPKEY", err)
	}
	if err := e.CheckInboundAuth("skyhub", "orders", hdr(), lookup); err == nil {
		t.Errorf("a marketplace without inbound routes must be an error")
	}
}
