// Package handwritten is the baseline Rota is measured against: the
// translations a developer would write by hand, without Rota, for a few
// (marketplace, event) pairs of the bundled mappings.
//
// Each function decodes the canonical event with encoding/json into plain
// structs holding only the fields it needs, checks what the mapping checks
// (required fields, the rule's guards, the status transition when
// order.marketplaceStatus is given, the NF-e key check digit where an
// invoice key is sent), formats dates in São Paulo time, builds the URL and
// encodes the body with encoding/json. It is meant to be idiomatic and
// honest: neither slowed down nor hand-tuned.
//
// engine/handwritten_test.go checks that every function gives the same
// calls, byte for byte, as the engine with the bundled mappings, and that
// both refuse the same broken events; engine/bench_test.go times both.
package handwritten

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // America/Sao_Paulo on machines without a zoneinfo

	"github.com/rotahq/rota/engine/fiscal"
)

// Request is one outbound call, without credentials.
type Request struct {
	Name    string
	Method  string
	URL     string
	Headers map[string]string
	Body    []byte
}

// Error is why an event gives no call. Code uses the vocabulary of the
// engine's error codes and of the mappings' guard codes, so that tests can
// tell both refused for the same reason.
type Error struct {
	Code    string
	Field   string // JSON pointer of the offending value, when there is one
	Message string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Code + ": " + e.Message
	}
	return e.Code + " at " + e.Field + ": " + e.Message
}

// Layouts of the dates the marketplaces take.
const (
	isoSeconds = "2006-01-02T15:04:05-07:00"
	dayMonth   = "02/01/2006"
)

// saoPaulo is loaded once: every date goes out in São Paulo time.
var saoPaulo = mustLoadLocation("America/Sao_Paulo")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// jsonHeaders are the headers every marketplace here wants on every call.
func jsonHeaders() map[string]string {
	return map[string]string{"Accept": "application/json", "Content-Type": "application/json"}
}

// post builds a POST with a JSON body.
func post(name, url string, body any) (Request, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return Request{}, err
	}
	return Request{Name: name, Method: "POST", URL: url, Headers: jsonHeaders(), Body: b}, nil
}

func decode(raw []byte, v any) error {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &Error{Code: "malformed_json", Message: err.Error()}
	case errors.As(err, &te):
		return &Error{Code: "wrong_type", Field: "/" + te.Field, Message: err.Error()}
	}
	return &Error{Code: "bad_value", Message: err.Error()}
}

func missing(field string) error {
	return &Error{Code: "missing_field", Field: field, Message: "the event has no " + field}
}

func refused(code, field, msg string) error {
	return &Error{Code: code, Field: field, Message: msg}
}

// checkNFeKey checks an invoice key's length, characters and check digit.
func checkNFeKey(key string) error {
	err := fiscal.CheckNFeKey(key)
	if err == nil {
		return nil
	}
	code := "nfe_key_invalid"
	var fe *fiscal.Error
	if errors.As(err, &fe) && fe.Reason == fiscal.ReasonCheckDigit {
		code = "nfe_key_check_digit"
	}
	return &Error{Code: code, Field: "/invoice/key", Message: err.Error()}
}

// statusMachine is a marketplace's status table: the moves the seller may
// make and the statuses nothing leaves.
type statusMachine struct {
	next  map[string][]string
	final map[string]bool
}

// check refuses a move from the order's current marketplace status; an
// unknown current status (from == "") is not checked.
func (m *statusMachine) check(from, to string) error {
	if from == "" || slices.Contains(m.next[from], to) {
		return nil
	}
	if m.final[from] {
		return refused("final_status", "/order/marketplaceStatus", fmt.Sprintf("cannot move an order from %s to %s: %s is a final status", from, to, from))
	}
	return refused("transition_not_allowed", "/order/marketplaceStatus", fmt.Sprintf("cannot move an order from %s to %s", from, to))
}
