package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/durable"
)

// InboundPrefix is where inbound routes are served: a marketplace's route
// with path P is at InboundPrefix + marketplace + P (the Fast Shop hub
// posts to /inbound/fastshop/api/fulfillment/pvt/orders?sc=1&affiliateId=FSH).
// These routes take the marketplace's own auth (the mapping's route auth),
// not the API token.
const InboundPrefix = "/inbound/"

// inbound serves a marketplace's request to one of its inbound routes: the
// answer is the route's own (success or error), in the marketplace's shape.
func (h *handler) inbound(w http.ResponseWriter, r *http.Request) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	market := r.PathValue("marketplace")
	// The route's path as the marketplace sent it, still escaped: an
	// escaped / inside a segment (an order id) stays in its segment.
	path := "/" + r.PathValue("path")
	if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), InboundPrefix); ok {
		if _, p, ok := strings.Cut(rest, "/"); ok {
			path = "/" + p
		}
	}
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	ans, err := h.cfg.Service.Receive(r.Context(), durable.InboundRequest{
		Marketplace: market, Method: r.Method, Path: path, Header: r.Header, Body: body,
	})
	var ie *durable.InboundError
	if errors.As(err, &ie) {
		if sw, ok := w.(*statusWriter); ok {
			sw.errCode = errCode(ie.Err)
		}
		return writeRaw(w, ie.Status, ie.Body)
	}
	if err != nil {
		return err
	}
	return writeRaw(w, ans.Status, ans.Body)
}

func errCode(err error) string {
	var e *engine.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// writeRaw answers a JSON body rendered by a mapping, indented as the API's
// own answers are.
func writeRaw(w http.ResponseWriter, status int, body json.RawMessage) error {
	var buf bytes.Buffer
	if len(body) == 0 {
		body = json.RawMessage("null")
	}
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		buf.Reset()
		buf.Write(body)
	}
	buf.WriteByte('\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// inbox answers a page of the pull feed: GET /v1/inbox?after=CURSOR&limit=N.
func (h *handler) inbox(w http.ResponseWriter, r *http.Request) error {
	params := r.URL.Query()
	for name := range params {
		if name != "after" && name != "limit" {
			return requestError(CodeBadParameter, "unknown query parameter %q; want after or limit", name)
		}
	}
	limit := durable.DefaultInboxLimit
	if l := params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > durable.MaxInboxLimit {
			return requestError(CodeBadParameter, "limit %q: want a number from 1 to %d", l, durable.MaxInboxLimit)
		}
		limit = n
	}
	page, err := h.cfg.Service.Inbox(r.Context(), params.Get("after"), limit)
	if errors.Is(err, durable.ErrBadCursor) {
		return requestError(CodeBadParameter, "after %q: pass a cursor the inbox gave (an entry's cursor or nextCursor)", params.Get("after"))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// ackRequest is the body of POST /v1/inbox/ack.
type ackRequest struct {
	Cursor string `json:"cursor"`
}

// ackInbox records the consumer's progress: POST /v1/inbox/ack {"cursor": C}.
func (h *handler) ackInbox(w http.ResponseWriter, r *http.Request) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	var req ackRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() || strings.TrimSpace(req.Cursor) == "" {
		return requestError(CodeMalformedJSON, "the body of ack is {\"cursor\": \"C\"}, C being the nextCursor of a page processed")
	}
	acked, err := h.cfg.Service.AckInbox(r.Context(), req.Cursor)
	if errors.Is(err, durable.ErrBadCursor) {
		return requestError(CodeBadParameter, "cursor %q: pass a cursor the inbox gave, not past its last event", req.Cursor)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"acked": acked})
}

// replayForward sends a dead forward again: POST /v1/inbox/{id}/replay.
func (h *handler) replayForward(w http.ResponseWriter, r *http.Request) error {
	e, err := h.cfg.Service.ReplayForward(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}
