package sim

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Mirakl's line calls (OR30 cancel, OR28 refund) and documents (OR74
// upload, OR72 list).

// mklLineCall describes OR30 or OR28: the list key of the body, the id each
// entry gets, the line states allowed.
type mklLineCall struct {
	name, listKey, idKey string
	from                 []string
	// quantity: the entry's quantity is required and cancels units.
	quantity bool
}

var (
	// OR30 cancels lines of an order still to ship [MMP-OAS; the state
	// inferred: before shipment].
	mklCancelCall = mklLineCall{name: "OR30", listKey: "cancelations", idKey: "cancelation_id", from: []string{"SHIPPING"}, quantity: true}
	// OR28 refunds after shipment, not once CLOSED [LENGOW].
	mklRefundCall = mklLineCall{name: "OR28", listKey: "refunds", idKey: "refund_id", from: []string{"SHIPPED", "TO_COLLECT", "RECEIVED"}}
)

func (k *mirakl) cancelLines(w http.ResponseWriter, r *http.Request) { k.lineCall(w, r, mklCancelCall) }

func (k *mirakl) refund(w http.ResponseWriter, r *http.Request) { k.lineCall(w, r, mklRefundCall) }

// lineCall handles PUT /api/orders/cancel (OR30) and PUT
// /api/orders/refund (OR28): every entry is checked, then all applied or
// none; 200 with the entries and their ids.
func (k *mirakl) lineCall(w http.ResponseWriter, r *http.Request, c mklLineCall) {
	v, err := readJSON(w, r)
	m, ok := object(v)
	if err != nil || !ok {
		writeMklError(w, mklBad("the body must be a JSON object"))
		return
	}
	entries, e := mklReadLineEntries(m, c)
	if e != nil {
		writeMklError(w, e)
		return
	}
	if !k.locked(w, func() *mklError { return k.applyLineEntries(entries, c) }) {
		return
	}
	out := map[string]any{c.listKey: entries}
	if mode, ok := m["order_tax_mode"]; ok {
		out["order_tax_mode"] = mode
	}
	writeJSON(w, http.StatusOK, out)
}

// mklReadLineEntries checks OR30's or OR28's entries: order_line_id,
// amount, shipping_amount and reason_code required (quantity too for OR30);
// amounts are decimal numbers in the currency [MMP-OAS]. The
// documentation's own examples write reason_code as a number and tax
// amounts as strings: both are taken.
func mklReadLineEntries(m map[string]any, c mklLineCall) ([]map[string]any, *mklError) {
	if mode, ok := m["order_tax_mode"]; ok && mode != "TAX_INCLUDED" && mode != "TAX_EXCLUDED" {
		return nil, mklBad("order_tax_mode must be TAX_INCLUDED or TAX_EXCLUDED")
	}
	items, ok := list(m, c.listKey)
	if !ok {
		return nil, mklBad("%s must list the order lines: [{\"order_line_id\", \"amount\", \"shipping_amount\", \"reason_code\"...}]", c.listKey)
	}
	entries := []map[string]any{}
	for i, it := range items {
		e, ok := object(it)
		if !ok {
			return nil, mklBad("%s[%d] must be an object", c.listKey, i)
		}
		if msg := mklCheckLineEntry(e, c); msg != "" {
			return nil, mklBad("%s[%d].%s", c.listKey, i, msg)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func mklCheckLineEntry(e map[string]any, c mklLineCall) string {
	if _, ok := text(e, "order_line_id"); !ok {
		return "order_line_id is required"
	}
	for _, f := range []string{"amount", "shipping_amount"} {
		if !mklAmount(e[f], false) {
			return f + " is required: a decimal number of 0 or more, in the currency (not cents)"
		}
	}
	switch rc := e["reason_code"].(type) {
	case string:
		if strings.TrimSpace(rc) == "" {
			return "reason_code is required: the marketplace's reason code"
		}
	case nil:
		return "reason_code is required: the marketplace's reason code"
	default:
		if !mklAmount(rc, false) {
			return "reason_code must be the reason's code"
		}
	}
	if _, ok := e["quantity"]; ok || c.quantity {
		if !nonNegative(e["quantity"]) {
			return "quantity is required: a whole number of 0 or more"
		}
	}
	if cur, ok := e["currency_iso_code"]; ok {
		if s, _ := cur.(string); len(s) != 3 {
			return "currency_iso_code must be an ISO 4217 code such as BRL"
		}
	}
	for _, f := range []string{"taxes", "shipping_taxes", "fees"} {
		raw, ok := e[f]
		if !ok {
			continue
		}
		taxes, isList := raw.([]any)
		if !isList {
			return f + " must be a list of {amount, code}"
		}
		for j, t := range taxes {
			tm, _ := object(t)
			if _, ok := text(tm, "code"); !ok || !mklAmount(tm["amount"], true) {
				return fmt.Sprintf("%s[%d] needs code and amount", f, j)
			}
		}
	}
	return ""
}

// mklAmount reports whether v is a decimal number of 0 or more (or, when
// asString, such a number written as a string).
func mklAmount(v any, asString bool) bool {
	var s string
	switch x := v.(type) {
	case fmt.Stringer:
		s = x.String()
	case string:
		if !asString {
			return false
		}
		s = x
	default:
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f >= 0
}

// applyLineEntries applies OR30's or OR28's entries, all or none. Call
// with mu held.
func (k *mirakl) applyLineEntries(entries []map[string]any, c mklLineCall) *mklError {
	type target struct {
		o *mklOrder
		l *mklLine
	}
	targets := make([]target, len(entries))
	cancel := map[*mklLine]int64{}
	for i, e := range entries {
		id := e["order_line_id"].(string)
		o, ok := k.orders[k.lines[id]]
		if !ok {
			return k.business("ORDER_LINE_NOT_FOUND", "order line %s not found", id)
		}
		l := o.Lines[slices.IndexFunc(o.Lines, func(l *mklLine) bool { return l.ID == id })]
		if !slices.Contains(c.from, l.State) {
			return k.business("ORDER_INVALID_STATE", "order line %s is %s: %s needs %s", id, l.State, c.name, strings.Join(c.from, " or "))
		}
		if c.quantity {
			q, _ := e["quantity"].(fmt.Stringer)
			n, _ := strconv.ParseInt(q.String(), 10, 64)
			cancel[l] += n
			if cancel[l] > l.Quantity-mklCanceled(l) {
				return k.business("ORDER_LINE_INVALID_QUANTITY", "order line %s has %d units left to cancel", id, l.Quantity-mklCanceled(l))
			}
		}
		targets[i] = target{o, l}
	}
	now := k.s.now()
	for i, e := range entries {
		k.serial++
		rec := map[string]any{}
		for key, v := range e {
			rec[key] = v
		}
		rec[c.idKey] = strconv.Itoa(1000 + k.serial)
		if !c.quantity {
			rec["order_refund_id"] = newToken("")
		}
		entries[i] = rec
		t := targets[i]
		if c.quantity {
			t.l.Cancelations = append(t.l.Cancelations, rec)
			if mklCanceled(t.l) >= t.l.Quantity {
				t.l.State = "CANCELED"
			}
		} else {
			t.l.Refunds = append(t.l.Refunds, rec)
		}
		if slices.IndexFunc(t.o.Lines, func(l *mklLine) bool { return !slices.Contains(mklDone, l.State) }) < 0 && t.o.Status != "CANCELED" {
			t.o.move("CANCELED", c.name, now)
		}
	}
	return nil
}

// mklCanceled is the number of units of l canceled.
func mklCanceled(l *mklLine) int64 {
	var n int64
	for _, c := range l.Cancelations {
		if q, ok := c["quantity"].(fmt.Stringer); ok {
			v, _ := strconv.ParseInt(q.String(), 10, 64)
			n += v
		}
	}
	return n
}

// mklMaxUpload caps an OR74 body [inferred: no size is documented].
const mklMaxUpload = 10 << 20

// mklUpload is what an OR74 body holds.
type mklUpload struct {
	entries []map[string]any // order_documents
	files   map[string]int   // file name → size
}

// upload handles OR74, POST /api/orders/{order_id}/documents: multipart
// with "files" parts and one "order_documents" JSON part [MMP-OAS,
// MKL-SDK-CLIENT]. A malformed request is 400; a document refused is
// listed in the 200 answer, {"errors_count", "order_documents": [{"errors",
// "input"}]} [MMP-OAS OR74].
func (k *mirakl) upload(w http.ResponseWriter, r *http.Request) {
	up, e := mklReadUpload(w, r)
	if e != nil {
		writeMklError(w, e)
		return
	}
	refused := []any{}
	if !k.locked(w, func() *mklError {
		o, e := k.order(r.PathValue("order_id"))
		if e != nil {
			return e
		}
		for _, entry := range up.entries {
			if errs := k.documentErrors(entry, len(o.Documents)); len(errs) > 0 {
				refused = append(refused, map[string]any{"errors": errs, "input": entry})
				continue
			}
			k.serial++
			name := entry["file_name"].(string)
			o.Documents = append(o.Documents, mklDoc{ID: int64(2000 + k.serial), OrderID: o.ID, FileName: name,
				FileSize: up.files[name], Type: entry["type_code"].(string), DateUploaded: stamp(k.s.now())})
		}
		return nil
	}) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"errors_count": len(refused), "order_documents": refused})
}

// documentErrors lists why the shop cannot add a document to an order
// holding have documents.
func (k *mirakl) documentErrors(entry map[string]any, have int) []map[string]string {
	code := entry["type_code"].(string)
	name := entry["file_name"].(string)
	i := slices.IndexFunc(mklDocTypes, func(d mklDocType) bool { return d.Code == code })
	var errs []map[string]string
	add := func(code, field, msg string) {
		errs = append(errs, map[string]string{"code": code, "field": field, "message": msg})
	}
	switch {
	case i < 0:
		add("valid_order_document.type", "type_code", "Unable to retrieve document's type from the given code")
	case !mklDocTypes[i].ShopMayUpload || mklDocTypes[i].Entity != "ORDER":
		add("valid_order_document.type", "type_code", fmt.Sprintf("the shop cannot upload a %s document to an order", code))
	}
	if ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), ".")); !slices.Contains(k.opts.FileExtensions, ext) {
		add("valid_order_document.file_name", "file_name", fmt.Sprintf("file type %q is not accepted (%s)", ext, strings.Join(k.opts.FileExtensions, ", ")))
	}
	if have >= mklMaxDocuments {
		add("valid_order_document.max_documents", "file_name", fmt.Sprintf("an order holds at most %d documents", mklMaxDocuments))
	}
	return errs
}

// mklReadUpload reads and checks OR74's parts.
func mklReadUpload(w http.ResponseWriter, r *http.Request) (*mklUpload, *mklError) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, mklBad("the body must be multipart/form-data with files parts and an order_documents part")
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, mklMaxUpload), params["boundary"])
	up := &mklUpload{files: map[string]int{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, mklBad("malformed multipart body: %v", err)
		}
		e := up.read(part)
		part.Close()
		if e != nil {
			return nil, e
		}
	}
	switch {
	case up.entries == nil:
		return nil, mklBad("the order_documents part is missing")
	case len(up.files) == 0:
		return nil, mklBad("no files part")
	}
	named := map[string]bool{}
	for i, e := range up.entries {
		name := e["file_name"].(string)
		if _, ok := up.files[name]; !ok {
			return nil, mklBad("order_documents[%d]: no files part is named %q", i, name)
		}
		named[name] = true
	}
	for name := range up.files {
		if !named[name] {
			return nil, mklBad("file %q has no entry in order_documents", name)
		}
	}
	return up, nil
}

func (up *mklUpload) read(part *multipart.Part) *mklError {
	switch part.FormName() {
	case "order_documents":
		if up.entries != nil {
			return mklBad("more than one order_documents part")
		}
		return up.readEntries(part)
	case "files":
		name := part.FileName()
		if name == "" || !mklASCII(name) {
			return mklBad("each files part needs a file name in US-ASCII (got %q)", name)
		}
		if _, dup := up.files[name]; dup {
			return mklBad("two files are named %q: file names must differ", name)
		}
		n, err := io.Copy(io.Discard, part)
		if err != nil {
			return mklBad("cannot read file %q: %v", name, err)
		}
		up.files[name] = int(n)
		return nil
	}
	return mklBad("unexpected part %q: want files and order_documents", part.FormName())
}

func (up *mklUpload) readEntries(part *multipart.Part) *mklError {
	raw, err := io.ReadAll(io.LimitReader(part, maxBody))
	if err != nil {
		return mklBad("cannot read order_documents: %v", err)
	}
	v, err := decodeJSON(raw)
	m, ok := object(v)
	docs, okList := list(m, "order_documents")
	if err != nil || !ok || !okList {
		return mklBad(`order_documents must be JSON: {"order_documents": [{"file_name", "type_code"}]}`)
	}
	up.entries = []map[string]any{}
	for i, d := range docs {
		dm, _ := object(d)
		_, okName := text(dm, "file_name")
		_, okType := text(dm, "type_code")
		if !okName || !okType {
			return mklBad("order_documents[%d] needs file_name and type_code", i)
		}
		if ent, ok := dm["entity"]; ok {
			em, _ := object(ent)
			if _, ok := text(em, "id"); !ok || em["type"] != "RETURN" {
				return mklBad(`order_documents[%d].entity must be {"id", "type": "RETURN"}`, i)
			}
		}
		up.entries = append(up.entries, dm)
	}
	return nil
}

func mklASCII(s string) bool {
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// listDocuments handles OR72, GET /api/orders/documents?order_ids=...
func (k *mirakl) listDocuments(w http.ResponseWriter, r *http.Request) {
	ids := splitList(r.URL.Query().Get("order_ids"))
	if len(ids) == 0 {
		writeMklError(w, mklBad("order_ids is required"))
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	docs := []mklDoc{}
	for _, id := range ids {
		if o, ok := k.orders[id]; ok {
			docs = append(docs, o.Documents...)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"order_documents": docs, "total_count": len(docs)})
}
