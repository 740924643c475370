package judge

import (
	"testing"
)

// TestJudgeWithoutRules: with no rules a 2xx succeeds, 429 and 5xx are
// worth a retry, any other status fails for good, the body its message.
func TestJudgeWithoutRules(t *testing.T) {
	tests := []struct {
		status int
		want   Verdict
	}{
		{200, Verdict{Outcome: Success}},
		{204, Verdict{Outcome: Success}},
		{429, Verdict{Outcome: Retry, Message: "busy"}},
		{503, Verdict{Outcome: Retry, Message: "busy"}},
		{400, Verdict{Outcome: Fail, Message: "busy"}},
		{409, Verdict{Outcome: Fail, Message: "busy"}},
	}
	for _, tt := range tests {
		got, err := Judge(Rules{}, Request{}, Answer{Status: tt.status, Body: []byte("  busy\n")})
		if err != nil || got != tt.want {
			t.Errorf("status %d: got %+v (%v), want %+v", tt.status, got, err, tt.want)
		}
	}
}

func TestHoldsWithoutRule(t *testing.T) {
	for _, def := range []bool{true, false} {
		if got, err := Holds(nil, Answer{Status: 401}, def); err != nil || got != def {
			t.Errorf("no rule, default %v: got %v (%v)", def, got, err)
		}
	}
}
