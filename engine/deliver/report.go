package deliver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rotahq/rota/engine"
)

// Outcome is how a whole delivery ended (Report.Outcome). It marshals to
// JSON as its string.
type Outcome string

// Outcomes of a whole delivery.
const (
	// Delivered: every call succeeded (and was confirmed, when asked).
	Delivered Outcome = "delivered"
	// Refused: the marketplace refused a call for good (its response rules
	// said fail); the calls after it were not sent.
	Refused Outcome = "refused"
	// Failed: a call could not be delivered: retries exhausted, a transport
	// or authentication failure, a response rule that failed to run.
	Failed Outcome = "failed"
	// Unconfirmed: every call was accepted, but a change the marketplace
	// applies asynchronously was not seen applied within the confirmation's
	// attempts (Sender.Confirm).
	Unconfirmed Outcome = "unconfirmed"
	// Duplicate: the event id was delivered already; nothing was sent.
	Duplicate Outcome = "duplicate"
	// Canceled: the context was canceled (or its deadline passed) before
	// the delivery ended.
	Canceled Outcome = "canceled"
	// Ignored: the translation needs no call (engine.OutcomeIgnore).
	Ignored Outcome = "ignored"
	// Unknown: a call may or may not have been applied: its answer was
	// lost and neither the mapping's read-back nor its alreadyApplied rule
	// could establish what happened. It was not sent blindly again; the
	// calls after it were not sent.
	Unknown Outcome = "unknown"
)

// Confirmation is how a call's success was established
// (CallReport.ConfirmedBy) when its own answer did not say it. It marshals
// to JSON as its string.
type Confirmation string

// Ways a call's success was established.
const (
	// ConfirmedByAlreadyApplied: the marketplace refused the call as a
	// repeat of a change it had already made (response.alreadyApplied).
	ConfirmedByAlreadyApplied Confirmation = "alreadyApplied"
	// ConfirmedByReadBack: after an attempt whose answer was lost, the
	// mapping's read-back showed the change applied.
	ConfirmedByReadBack Confirmation = "readBack"
)

// CallOutcome is how one call ended (CallReport.Outcome). It marshals to
// JSON as its string.
type CallOutcome string

// Outcomes of one call.
const (
	CallSuccess  CallOutcome = "success"  // the marketplace accepted it
	CallRefused  CallOutcome = "refused"  // the marketplace refused it for good
	CallFailed   CallOutcome = "failed"   // not delivered: retries exhausted, transport or auth failure
	CallCanceled CallOutcome = "canceled" // the context ended while it was being sent or retried
	CallNotSent  CallOutcome = "not_sent" // an earlier call did not succeed, so it was not sent
	CallSkipped  CallOutcome = "skipped"  // the event was delivered already (Duplicate)
	CallUnknown  CallOutcome = "unknown"  // it may or may not have been applied: the answer was lost
)

// CallError is a stable code of why a call stopped when the marketplace's
// answer alone does not say it (CallReport.Error). It is an error whose
// text is the code, so the Err* codes below are constant errors; it
// marshals to JSON as its string.
type CallError string

// Error returns the code.
func (e CallError) Error() string { return string(e) }

// The codes of CallError. Append-only.
const (
	// ErrNetwork: the request got no HTTP answer (connection refused, reset, DNS...).
	ErrNetwork CallError = "network_error"
	// ErrTimeout: no answer within the per-attempt timeout.
	ErrTimeout CallError = "timeout"
	// ErrAuthFailed: no credential could be obtained (the token service
	// failed or refused), so the call was not sent.
	ErrAuthFailed CallError = "auth_failed"
	// ErrRetriesExhausted: the marketplace kept asking for a retry until
	// the attempts or the total time allowed ran out.
	ErrRetriesExhausted CallError = "retries_exhausted"
	// ErrRuleFailed: a response rule of the mapping failed to run.
	ErrRuleFailed CallError = "rule_error"
	// ErrBadRequest: the request could not be built (a bad URL).
	ErrBadRequest CallError = "bad_request"
	// ErrCanceled: the context ended.
	ErrCanceled CallError = "canceled"
	// ErrNotConfirmed: the confirmation query never saw the change applied.
	ErrNotConfirmed CallError = "not_confirmed"
	// ErrReadBackFailed: the mapping's read-back query did not answer with
	// a success, so it could not tell whether the call was applied.
	ErrReadBackFailed CallError = "read_back_failed"
)

// Report is what a delivery did. It holds no secret value.
type Report struct {
	EventID     string `json:"eventId"`
	Marketplace string `json:"marketplace"`
	// Outcome is one of Delivered, Refused, Failed, Unconfirmed, Duplicate,
	// Canceled, Ignored, Unknown.
	Outcome Outcome `json:"outcome"`
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
	Outcome CallOutcome `json:"outcome"`
	// Error is a stable code (Err*) when the answer alone does not explain
	// the outcome.
	Error CallError `json:"error,omitempty"`
	// MarketplaceStatus is the marketplace status the call leads to.
	MarketplaceStatus string `json:"marketplaceStatus,omitempty"`
	// Confirmed is set when the call was confirmed with the mapping's
	// status query (Sender.Confirm): true once an answer confirmed it.
	Confirmed *bool `json:"confirmed,omitempty"`
	// ConfirmAttempts is how many status queries were sent.
	ConfirmAttempts int `json:"confirmAttempts,omitempty"`
	// ConfirmedBy says how a success was established when the call's own
	// answer did not say it: ConfirmedByAlreadyApplied or ConfirmedByReadBack.
	ConfirmedBy Confirmation `json:"confirmedBy,omitempty"`
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

// scrubCalls removes secret values from the calls' messages, then cuts
// each to engine.MaxMessageLength: in that order, so that no part of a
// secret survives a cut.
func scrubCalls(rep *Report, secrets []string) {
	var r *strings.Replacer // built only when there is text to scrub
	for i := range rep.Calls {
		if rep.Calls[i].Message == "" {
			continue
		}
		if r == nil {
			r = scrubber(secrets)
		}
		rep.Calls[i].Message = engine.Truncate(r.Replace(rep.Calls[i].Message), engine.MaxMessageLength)
	}
}

// scrubReason removes secret values from the report's reason, built from
// messages already scrubbed: a second pass costs little and catches a
// secret spread over two of them.
func scrubReason(rep *Report, secrets []string) {
	if rep.Reason != "" {
		rep.Reason = scrubber(secrets).Replace(rep.Reason)
	}
}

// MinSecretLength is the shortest secret value (and token) a Sender
// accepts: a shorter one cannot be told apart from ordinary text, so
// redacting it would garble messages and show where it stands. Shorter
// secrets are refused with CodeSecretTooShort; shorter tokens fail the
// call with ErrAuthFailed.
const MinSecretLength = 8

// scrubber replaces every secret value with Redacted, in each form a
// marketplace may echo it in: raw, percent-encoded (RFC 3986 and form
// encoding), JSON-escaped (Go's escaping, \/ for /, \uXXXX for non-ASCII
// in either case) and base64. Longer forms come first, so that a secret
// containing another is replaced whole. Values shorter than MinSecretLength
// are skipped (Sender refuses them before anything is sent).
func scrubber(secrets []string) *strings.Replacer {
	seen := map[string]bool{}
	var forms []string
	for _, v := range secrets {
		if len(v) < MinSecretLength {
			continue
		}
		for _, f := range secretForms(v) {
			if f != "" && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return strings.NewReplacer(pairs...)
}

// secretForms are the spellings of v that scrubber replaces.
func secretForms(v string) []string {
	forms := []string{v, rfc3986Escape(v), url.QueryEscape(v),
		base64.StdEncoding.EncodeToString([]byte(v)), base64.RawStdEncoding.EncodeToString([]byte(v)),
		base64.URLEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))}
	for _, j := range jsonForms(v) {
		forms = append(forms, j, strings.ReplaceAll(j, "/", `\/`))
	}
	return forms
}

// jsonForms are v inside a JSON string as encoders write it: Go's
// encoding/json (HTML characters escaped or not), and ASCII-only encoders
// that write every other character as \uXXXX, in lower or upper case.
func jsonForms(v string) []string {
	var plain, html bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	_ = json.NewEncoder(&html).Encode(v)
	trim := func(b *bytes.Buffer) string {
		s := strings.TrimSuffix(b.String(), "\n")
		return strings.TrimSuffix(strings.TrimPrefix(s, `"`), `"`)
	}
	p := trim(&plain)
	return []string{p, trim(&html), asciiJSON(p, "%04x"), asciiJSON(p, "%04X")}
}

// asciiJSON writes the non-ASCII characters of a JSON string body as
// \uXXXX escapes (UTF-16 surrogate pairs beyond the BMP).
func asciiJSON(s, hex string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, `\u`+hex, u)
		}
	}
	return b.String()
}
