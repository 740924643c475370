package deliver

import (
	"context"
	"fmt"

	"github.com/rotahq/rota/engine"
)

// confirm checks, when Sender.Confirm is set and the mapping declares how,
// that the marketplace applied the change call made: it waits the
// confirmation's Interval, sends its status query, and repeats up to
// Attempts times until an answer confirms it. cr.Confirmed says whether one
// did; a call left unconfirmed keeps its success outcome and gets the error
// ErrNotConfirmed (the report's outcome is then Unconfirmed).
func (s *Sender) confirm(ctx context.Context, call *engine.Call, auth authorizer, cr *CallReport) {
	cf := call.Confirmation()
	if !s.Confirm || cf == nil {
		return
	}
	confirmed := false
	cr.Confirmed = &confirmed
	last := "no answer"
	for i := 0; i < max(cf.Attempts, 1); i++ {
		if err := s.sleep(ctx, cf.Interval); err != nil {
			cr.Error, cr.Message = ErrCanceled, cancelMessage(err)
			return
		}
		ans := s.try(ctx, &cf.Query, auth, &cr.ConfirmAttempts)
		if ans.canceled {
			cr.Error, cr.Message = ErrCanceled, ans.msg
			return
		}
		if ans.code != "" && ans.code != ErrRuleFailed {
			last = ans.msg
			continue
		}
		ok, err := cf.Confirmed(ans.status, ans.header, ans.body)
		switch {
		case err != nil:
			last = err.Error()
		case ok:
			confirmed = true
			return
		default:
			last = fmt.Sprintf("last answer HTTP %d: %s", ans.status, snippet(ans.body))
		}
	}
	cr.Error = ErrNotConfirmed
	cr.Message = fmt.Sprintf("not confirmed after %s %s apart (%s)", plural(cr.ConfirmAttempts, "status query"), cf.Interval, last)
}
