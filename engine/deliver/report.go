package deliver

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Outcomes of a whole delivery (Report.Outcome).
const (
	// Delivered: every call succeeded (and was confirmed, when asked).
	Delivered = "delivered"
	// Refused: the marketplace refused a call for good (its response rules
	// said fail); the calls after it were not sent.
	Refused = "refused"
	// Failed: a call could not be delivered: retries exhausted, a transport
	// or authentication failure, a response rule that failed to run.
	Failed = "failed"
	// Unconfirmed: every call was accepted, but a change the marketplace
	// applies asynchronously was not seen applied within the confirmation's
	// attempts (Sender.Confirm).
	Unconfirmed = "unconfirmed"
	// Duplicate: the event id was delivered already; nothing was sent.
	Duplicate = "duplicate"
	// Canceled: the context was canceled (or its deadline passed) before
	// the delivery ended.
	Canceled = "canceled"
	// Ignored: the translation needs no call (engine.OutcomeIgnore).
	Ignored = "ignored"
	// Unknown: a call may or may not have been applied: its answer was
	// lost and neither the mapping's read-back nor its alreadyApplied rule
	// could establish what happened. It was not sent blindly again; the
	// calls after it were not sent.
	Unknown = "unknown"
)

// How a call's success was established (CallReport.ConfirmedBy), when its
// own answer did not say it.
const (
	// ConfirmedByAlreadyApplied: the marketplace refused the call as a
	// repeat of a change it had already made (response.alreadyApplied).
	ConfirmedByAlreadyApplied = "alreadyApplied"
	// ConfirmedByReadBack: after an attempt whose answer was lost, the
	// mapping's read-back showed the change applied.
	ConfirmedByReadBack = "readBack"
)

// Outcomes of one call (CallReport.Outcome).
const (
	CallSuccess  = "success"  // the marketplace accepted it
	CallRefused  = "refused"  // the marketplace refused it for good
	CallFailed   = "failed"   // not delivered: retries exhausted, transport or auth failure
	CallCanceled = "canceled" // the context ended while it was being sent or retried
	CallNotSent  = "not_sent" // an earlier call did not succeed, so it was not sent
	CallSkipped  = "skipped"  // the event was delivered already (Duplicate)
	CallUnknown  = "unknown"  // it may or may not have been applied: the answer was lost
)

// Stable error codes of CallReport.Error: why a call stopped when the
// marketplace's answer alone does not say it. Append-only.
const (
	// ErrNetwork: the request got no HTTP answer (connection refused, reset, DNS...).
	ErrNetwork = "network_error"
	// ErrTimeout: no answer within the per-attempt timeout.
	ErrTimeout = "timeout"
	// ErrAuthFailed: no credential could be obtained (the token service
	// failed or refused), so the call was not sent.
	ErrAuthFailed = "auth_failed"
	// ErrRetriesExhausted: the marketplace kept asking for a retry until
	// the attempts or the total time allowed ran out.
	ErrRetriesExhausted = "retries_exhausted"
	// ErrRuleFailed: a response rule of the mapping failed to run.
	ErrRuleFailed = "rule_error"
	// ErrBadRequest: the request could not be built (a bad URL).
	ErrBadRequest = "bad_request"
	// ErrCanceled: the context ended.
	ErrCanceled = "canceled"
	// ErrNotConfirmed: the confirmation query never saw the change applied.
	ErrNotConfirmed = "not_confirmed"
	// ErrReadBackFailed: the mapping's read-back query did not answer with
	// a success, so it could not tell whether the call was applied.
	ErrReadBackFailed = "read_back_failed"
)

// Report is what a delivery did. It holds no secret value.
type Report struct {
	EventID     string `json:"eventId"`
	Marketplace string `json:"marketplace"`
	// Outcome is one of Delivered, Refused, Failed, Unconfirmed, Duplicate,
	// Canceled, Ignored, Unknown.
	Outcome string `json:"outcome"`
	// Reason says, for people, why the outcome is not Delivered.
	Reason string `json:"reason,omitempty"`
	// Calls are the result's calls, in order.
	Calls []CallReport `json:"calls"`
}

// CallReport is what happened to one call.
type CallReport struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	// URL is the call's URL as translated: without credentials or signature.
	URL string `json:"url"`
	// Status is the HTTP status of the last answer; 0 (absent) when none came.
	Status int `json:"status,omitempty"`
	// Attempts is how many times the request was sent (a token refresh
	// after a rejected credential counts as one more).
	Attempts int `json:"attempts"`
	// MarketplaceCode and Message are the marketplace's own error code and
	// message, as the mapping's response rules extract them.
	MarketplaceCode string `json:"marketplaceCode,omitempty"`
	Message         string `json:"message,omitempty"`
	// Outcome is one of CallSuccess, CallRefused, CallFailed, CallCanceled,
	// CallNotSent, CallSkipped, CallUnknown.
	Outcome string `json:"outcome"`
	// Error is a stable code (Err*) when the answer alone does not explain
	// the outcome.
	Error string `json:"error,omitempty"`
	// MarketplaceStatus is the marketplace status the call leads to.
	MarketplaceStatus string `json:"marketplaceStatus,omitempty"`
	// Confirmed is set when the call was confirmed with the mapping's
	// status query (Sender.Confirm): true once an answer confirmed it.
	Confirmed *bool `json:"confirmed,omitempty"`
	// ConfirmAttempts is how many status queries were sent.
	ConfirmAttempts int `json:"confirmAttempts,omitempty"`
	// ConfirmedBy says how a success was established when the call's own
	// answer did not say it: ConfirmedByAlreadyApplied or ConfirmedByReadBack.
	ConfirmedBy string `json:"confirmedBy,omitempty"`
	// ReadBacks is how many read-back queries were sent.
	ReadBacks int `json:"readBacks,omitempty"`
}

// Succeeded returns the names of the calls the marketplace accepted, in order.
func (r *Report) Succeeded() []string {
	var out []string
	for _, c := range r.Calls {
		if c.Outcome == CallSuccess {
			out = append(out, c.Name)
		}
	}
	return out
}

// OK reports whether the outcome means nothing is left to do: Delivered,
// Duplicate or Ignored.
func (r *Report) OK() bool {
	switch r.Outcome {
	case Delivered, Duplicate, Ignored:
		return true
	}
	return false
}

// summarize sets the report's outcome and reason from its calls.
func summarize(rep *Report) {
	rep.Outcome = Delivered
	for _, c := range rep.Calls {
		switch {
		case c.Outcome == CallRefused:
			rep.Outcome = Refused
			rep.Reason = fmt.Sprintf("%s refused call %s (HTTP %d, code %s): %s", rep.Marketplace, c.Name, c.Status, c.MarketplaceCode, c.Message)
		case c.Outcome == CallUnknown:
			rep.Outcome = Unknown
			rep.Reason = fmt.Sprintf("the outcome of call %s is unknown: %s", c.Name, c.Message)
		case c.Outcome == CallFailed:
			rep.Outcome = Failed
			rep.Reason = fmt.Sprintf("call %s failed (%s) after %s: %s", c.Name, c.Error, plural(c.Attempts, "attempt"), c.Message)
		case c.Outcome == CallCanceled || c.Error == ErrCanceled:
			rep.Outcome = Canceled
			rep.Reason = fmt.Sprintf("canceled during call %s: %s", c.Name, c.Message)
		case c.Confirmed != nil && !*c.Confirmed:
			rep.Outcome = Unconfirmed
			rep.Reason = fmt.Sprintf("%s accepted call %s, but %s did not show the change: %s", rep.Marketplace, c.Name, plural(c.ConfirmAttempts, "status query"), c.Message)
		default:
			continue
		}
		break
	}
	if rep.Outcome != Delivered {
		if ok := rep.Succeeded(); len(ok) > 0 {
			rep.Reason += fmt.Sprintf("; accepted before it: %s", strings.Join(ok, ", "))
		}
		if n := countNotSent(rep); n > 0 {
			rep.Reason += fmt.Sprintf("; %s not sent", plural(n, "call"))
		}
	}
}

func countNotSent(rep *Report) int {
	n := 0
	for _, c := range rep.Calls {
		if c.Outcome == CallNotSent {
			n++
		}
	}
	return n
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// scrubReport removes secret values from the report's free text.
func scrubReport(rep *Report, secrets []string) {
	r := scrubber(secrets)
	rep.Reason = r.Replace(rep.Reason)
	for i := range rep.Calls {
		rep.Calls[i].Message = r.Replace(rep.Calls[i].Message)
	}
}

// scrubber replaces every secret value, raw or percent-encoded, with
// Redacted. Longer values come first, so that a secret containing another
// is replaced whole.
func scrubber(secrets []string) *strings.Replacer {
	var forms []string
	for _, v := range secrets {
		if v != "" {
			forms = append(forms, v, rfc3986Escape(v), url.QueryEscape(v))
		}
	}
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return strings.NewReplacer(pairs...)
}
