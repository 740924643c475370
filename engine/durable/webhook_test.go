package durable_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/engine/durable"
)

// The Standard Webhooks specification's test vector.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignWebhookSpecVector(t *testing.T) {
	key, err := durable.DecodeWebhookSecret(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := durable.SignWebhook(key, specID, specTimestamp, []byte(specBody)); got != specSignature {
		t.Errorf("got %s, want %s", got, specSignature)
	}
}

func TestDecodeWebhookSecret(t *testing.T) {
	cases := []struct{ name, secret, want string }{
		{"no prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_"},
		{"not base64", "whsec_%%%", "base64"},
		{"too short", "whsec_c2hvcnQ=", "5 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := durable.DecodeWebhookSecret(c.secret)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error saying %q", err, c.want)
			}
			if strings.Contains(err.Error(), strings.TrimPrefix(c.secret, "whsec_")) {
				t.Errorf("the error holds the secret: %v", err)
			}
		})
	}
}

// docsVerifier returns docs/inbound.md's verification snippet, word for
// word one tab deeper (TestDocsVerifySnippet checks it).
func docsVerifier() func(string, map[string]string, []byte, time.Time) error {
	verifyWebhook := func(secret string, header map[string]string, body []byte, now time.Time) error {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return errors.New("bad secret")
		}
		id, ts := header["webhook-id"], header["webhook-timestamp"]
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
			return errors.New("timestamp missing or too far from now")
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		want := mac.Sum(nil)
		for _, sig := range strings.Fields(header["webhook-signature"]) {
			if v, b64, ok := strings.Cut(sig, ","); ok && v == "v1" {
				got, err := base64.StdEncoding.DecodeString(b64)
				if err == nil && hmac.Equal(got, want) {
					return nil // verified; drop a webhook-id already processed
				}
			}
		}
		return errors.New("no valid signature")
	}
	return verifyWebhook
}

func TestDocsVerifySnippet(t *testing.T) {
	src, err := os.ReadFile("webhook_test.go")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "\tverifyWebhook := func(")
	end := strings.Index(string(src)[start:], "\n\t}\n")
	fn := strings.ReplaceAll(string(src)[start:start+end+3], "\n\t", "\n")[1:]
	doc, err := os.ReadFile("../../docs/inbound.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), fn) {
		t.Errorf("docs/inbound.md does not hold verifyWebhook as written in docsVerifier (webhook_test.go, one tab less):\n%s", fn)
	}
	at := time.Unix(specTimestamp, 0)
	header := map[string]string{"webhook-id": specID, "webhook-timestamp": strconv.Itoa(specTimestamp), "webhook-signature": "v1,bm90IGl0 " + specSignature}
	cases := []struct {
		name   string
		body   string
		now    time.Time
		wantOK bool
	}{
		{"spec vector", specBody, at, true},
		{"body changed", `{"test": 2432232315}`, at, false},
		{"too late", specBody, at.Add(6 * time.Minute), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := docsVerifier()(specSecret, header, []byte(c.body), c.now)
			if (err == nil) != c.wantOK {
				t.Errorf("got %v, want ok=%v", err, c.wantOK)
			}
		})
	}
}
