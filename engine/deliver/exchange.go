package deliver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rotahq/rota/engine"
)

// answer is what one attempt got.
type answer struct {
	req     *http.Request
	status  int
	header  http.Header
	body    []byte
	verdict engine.Verdict
	// code is set when the attempt has no usable verdict (Err*), with msg.
	code       CallError
	msg        string
	err        error
	retryable  bool
	canceled   bool
	retryAfter time.Duration
	// written is set once the request's headers were written to the
	// connection: from then on the marketplace may have acted on it.
	written bool
	// resumed marks the doubt Sender.Resend starts each call with.
	resumed bool
}

// inDoubt reports whether the attempt may have been applied although no
// usable answer says so: the request was written and no answer came, or a
// gateway answered 502 or 504 (it lost the marketplace's answer).
func (a *answer) inDoubt() bool {
	if a.status == http.StatusBadGateway || a.status == http.StatusGatewayTimeout {
		return true
	}
	return a.written && a.status == 0 && (a.code == ErrNetwork || a.code == ErrTimeout || a.canceled)
}

// try sends call once, after its rate limiter; when the answer rejects the
// credential, it renews it and sends the call once more. Each request sent
// counts in *attempts.
func (s *Sender) try(ctx context.Context, call *engine.Call, auth authorizer, attempts *int) answer {
	for renewed := false; ; renewed = true {
		if err := s.wait(ctx, call); err != nil {
			return answer{canceled: true, msg: cancelMessage(err)}
		}
		*attempts++
		ans := s.exchange(ctx, call, auth)
		if renewed || ans.canceled || ans.code != "" || !auth.rejected(ans) {
			return ans
		}
		auth.invalidate(ans.req)
	}
}

// exchange builds, authorizes and sends one request and judges the answer.
func (s *Sender) exchange(ctx context.Context, call *engine.Call, auth authorizer) answer {
	actx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	req, err := buildRequest(actx, call)
	if err != nil {
		return answer{err: err, code: ErrBadRequest, msg: err.Error()}
	}
	if err := auth.authorize(actx, req, false); err != nil {
		if ctx.Err() != nil {
			return answer{canceled: true, msg: cancelMessage(ctx.Err())}
		}
		ans := answer{req: req, err: err, code: ErrAuthFailed, msg: err.Error(), retryable: true}
		var ae *authError
		if errors.As(err, &ae) {
			ans.retryable = ae.retryable
			ans.retryAfter = retryAfter(ae.retryAfter, s.now())
		}
		return ans
	}
	var written atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteHeaders: func() { written.Store(true) },
	}))
	resp, err := s.client().Do(req)
	if err != nil {
		ans := transportFailure(ctx, req, err)
		ans.written = written.Load()
		return ans
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		ans := transportFailure(ctx, req, err)
		ans.written = true
		return ans
	}
	ans := answer{req: req, status: resp.StatusCode, header: resp.Header, body: body, written: true}
	ans.verdict, err = call.JudgeWith(resp.StatusCode, resp.Header, body, engine.JudgeOptions{Scrub: scrubFunc(auth)})
	if err != nil {
		ans.err, ans.code, ans.msg = err, ErrRuleFailed, err.Error()
		return ans
	}
	if ans.verdict.Outcome == engine.VerdictRetry {
		ans.retryable = true
		ans.retryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
	}
	return ans
}

// transportFailure classifies an attempt that got no answer.
func transportFailure(ctx context.Context, req *http.Request, err error) answer {
	if ctx.Err() != nil {
		return answer{req: req, canceled: true, msg: cancelMessage(ctx.Err())}
	}
	ans := answer{req: req, err: err, code: ErrNetwork, msg: transportMessage(err), retryable: true}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		ans.code, ans.msg = ErrTimeout, "no answer within the attempt's timeout"
	}
	return ans
}

// transportMessage is err without the request URL, which may carry a
// signature or credentials in its query.
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// buildRequest makes the call's request: method, URL, the call's headers
// spelled as the mapping spells them, and its body.
func buildRequest(ctx context.Context, call *engine.Call) (*http.Request, error) {
	var body io.Reader
	if b := call.BodyBytes(); len(b) > 0 {
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, call.URL, body)
	if err != nil {
		return nil, err
	}
	if req.URL.User != nil {
		// net/http would send it as Basic authentication.
		return nil, errors.New("the call's URL carries a user name or password (USER:PASSWORD@HOST); it is not sent")
	}
	for name, v := range call.Headers.All() {
		setHeader(req.Header, name, v)
	}
	return req, nil
}

// MaxRetryAfter is the longest wait a Retry-After header is read as: a
// longer one (up to 2^63 seconds, or a date centuries ahead) counts as this
// long, so that no value can overflow a time.Duration into a retry at once.
// It exceeds any RetryPolicy.MaxElapsed in use, so such an answer ends the
// call's retries.
const MaxRetryAfter = 24 * time.Hour

// retryAfter reads a Retry-After header (RFC 9110 10.2.3): delay seconds
// (digits only) or an HTTP date. Anything else, a negative or past value
// gives 0; a value beyond MaxRetryAfter gives MaxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter // all digits: only too large fails to parse
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		if t.Sub(now) > MaxRetryAfter || t.After(now.Add(MaxRetryAfter)) {
			return MaxRetryAfter
		}
		return t.Sub(now)
	}
	return 0
}

// snippet is an answer body on one line, whole: it is scrubbed and cut
// with the report's messages (scrubCalls), never before.
func snippet(body []byte) string {
	return strings.Join(strings.Fields(string(body)), " ")
}

// scrubFunc scrubs the secrets auth holds (and its current token).
func scrubFunc(auth authorizer) func(string) string {
	return func(s string) string { return scrubber(auth.secretValues()).Replace(s) }
}
