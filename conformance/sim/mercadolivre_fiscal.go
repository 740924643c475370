package sim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rotahq/rota/engine/fiscal"
)

// Mercado Livre's feedback and NF-e calls (the note, sections 5 and 7).

// mlMaxFile is the largest fiscal document a pack takes: 1 MB [ML-NFE-ATT];
// the imported NF-e XML is held to the same size [inferred].
const mlMaxFile = 1 << 20

// mlMaxMessage is the feedback message's limit: fewer than 160 characters
// [ML-FB-COPY].
const mlMaxMessage = 160

// postFeedback handles POST /orders/{id}/feedback [ML-FB-COPY]: the sale
// feedback. A fulfilled one marks an ME1 or custom shipment delivered
// [ML-FEEDBACK]; a not-fulfilled one cancels a sale without Mercado Envios 2
// [inferred: the note's choice], and only records it for ME2.
func (ml *mercadolivre) postFeedback(w http.ResponseWriter, r *http.Request) {
	m, e := mlReadObject(w, r)
	var fb mlFeedback
	if e == nil {
		fb, e = mlCheckFeedback(m)
	}
	if e != nil {
		writeMLError(w, e)
		return
	}
	if !ml.locked(w, func() *mlError { return ml.applyFeedback(r.PathValue("id"), &fb) }) {
		return
	}
	writeJSON(w, http.StatusCreated, fb)
}

// applyFeedback records fb on order id. Call with mu held.
func (ml *mercadolivre) applyFeedback(id string, fb *mlFeedback) *mlError {
	o := ml.order(id)
	switch {
	case o.Feedback != nil:
		o.FeedbackRefused++
		return mlConflict("order %s already has the seller's feedback: a sale takes one feedback only", o.ID)
	case o.Status == "cancelled" || o.Status == "invalid":
		return mlConflict("order %s is %s: it takes no feedback", o.ID, o.Status)
	case !fb.Fulfilled && o.Expired:
		return &mlError{status: http.StatusBadRequest, code: "not_fulfilled_feedback_in_order_expired",
			msg: "You can't submit a not fulfilled feedback after order has expired"}
	}
	now := ml.s.now()
	fb.ID, fb.Status, fb.DateCreated = ml.next(), "active", mlStamp(now)
	o.Feedback = fb
	sh := ml.ships[o.ShipmentID]
	open := sh != nil && !slices.Contains(mlShipFinal, sh.Status)
	switch {
	case fb.Fulfilled && open && (sh.Mode == "me1" || sh.Mode == "custom"):
		sh.move("delivered", "fulfilled_feedback", "feedback", now)
	case !fb.Fulfilled && (sh == nil || sh.Mode != "me2"):
		o.move("cancelled", "feedback", now)
		if open {
			sh.move("cancelled", "", "feedback", now)
		}
	}
	return nil
}

func mlCheckFeedback(m map[string]any) (mlFeedback, *mlError) {
	var fb mlFeedback
	fulfilled, ok := flag(m, "fulfilled")
	if !ok {
		return fb, mlBad("fulfilled (true or false) is required")
	}
	msg, ok := text(m, "message")
	if !ok || utf8.RuneCountInString(msg) >= mlMaxMessage {
		return fb, mlBad("message is required, fewer than %d characters", mlMaxMessage)
	}
	rating, _ := m["rating"].(string)
	switch {
	case !slices.Contains([]string{"positive", "neutral", "negative"}, rating):
		return fb, mlBad("rating must be positive, neutral or negative, not %q", rating)
	case rating == "positive" && !fulfilled:
		return fb, mlBad("rating positive needs fulfilled true")
	}
	reason, _ := m["reason"].(string)
	if !fulfilled && !slices.Contains(mlFeedbackReasons, reason) {
		return fb, mlBad("reason is required when fulfilled is false: one of %s; got %q", strings.Join(mlFeedbackReasons, ", "), reason)
	}
	restock, ok := flag(m, "restock_item")
	if _, given := m["restock_item"]; given && !ok {
		return fb, mlBad("restock_item must be true or false")
	}
	return mlFeedback{Fulfilled: fulfilled, Rating: rating, Reason: reason, RestockItem: restock, Message: msg}, nil
}

// getFeedback handles GET /orders/{id}/feedback: {"sale", "purchase"}, sale
// null until the seller gives it [ML-FB-COPY].
func (ml *mercadolivre) getFeedback(w http.ResponseWriter, r *http.Request) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	var sale any
	if fb := ml.order(r.PathValue("id")).Feedback; fb != nil {
		sale = fb
	}
	writeJSON(w, http.StatusOK, map[string]any{"sale": sale, "purchase": nil})
}

// importInvoice handles POST /shipments/{id}/invoice_data?siteId=MLB, the
// NF-e import [ML-NFE-IMP], [CODE-NFE]: the body is the authorized NF-e
// XML (nfeProc), Content-Type application/xml (or text/xml). Allowed for
// ME2 drop_off, xd_drop_off, xd_same_day and cross_docking shipments
// waiting for it (substatus invoice_pending); the shipment then goes
// ready_to_ship / ready_to_print [inferred]. Answers 201 {"id", "status":
// "approved", "fiscal_key"} [inferred: the answer is not documented].
func (ml *mercadolivre) importInvoice(w http.ResponseWriter, r *http.Request) {
	key, e := mlReadInvoice(w, r)
	if e != nil {
		writeMLError(w, e)
		return
	}
	var inv mlInvoice
	if !ml.locked(w, func() *mlError {
		sh := ml.shipment(r.PathValue("id"), "me2", "drop_off", "ready_to_ship", "invoice_pending")
		switch {
		case sh.Mode != "me2" || !slices.Contains(mlImportTypes, sh.LogisticType):
			return mlConflict("shipment %s is %s: the NF-e is imported only for Mercado Envios %s shipments (attach it to the pack otherwise)",
				sh.ID, mlModeName(sh), strings.Join(mlImportTypes, ", "))
		case sh.Invoice != nil:
			sh.InvoiceRefused++
			return mlConflict("shipment %s already has an imported NF-e (%s)", sh.ID, sh.Invoice.Key)
		case sh.Substatus != "invoice_pending":
			return mlConflict("shipment %s is %s/%s: it is not waiting for its NF-e (invoice_pending)", sh.ID, sh.Status, sh.Substatus)
		}
		now := ml.s.now()
		inv = mlInvoice{ID: ml.next(), Key: key, At: mlStamp(now)}
		sh.Invoice = &inv
		sh.move("ready_to_ship", "ready_to_print", "invoice_data", now)
		return nil
	}) {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": inv.ID, "status": "approved", "fiscal_key": inv.Key})
}

// mlReadInvoice checks the import's site, content type and XML, and
// returns the NF-e's access key.
func mlReadInvoice(w http.ResponseWriter, r *http.Request) (string, *mlError) {
	if site := r.URL.Query().Get("siteId"); site != "MLB" {
		return "", mlBad("siteId=MLB is required in the query (got %q)", site)
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/xml" && mt != "text/xml" {
		return "", &mlError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			msg: "the body must be the NF-e XML itself, Content-Type application/xml"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, mlMaxFile))
	if err != nil {
		return "", mlBad("the NF-e XML cannot be read, or is larger than 1 MB: %v", err)
	}
	key, err := nfeKeyOf(body)
	if err != nil {
		return "", mlBad("invalid NF-e XML: %v", err)
	}
	return key, nil
}

// nfeKeyOf reads an authorized NF-e (root nfeProc) and returns its access
// key: protNFe/infProt/chNFe, or infNFe's Id without the NFe prefix; both,
// when present, must agree, and the key must be valid.
func nfeKeyOf(doc []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var chNFe, id string
	var inKey, rooted bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !rooted && t.Name.Local != "nfeProc" {
				return "", fmt.Errorf("the root element is %s: want nfeProc, the authorized NF-e", t.Name.Local)
			}
			rooted = true
			inKey = t.Name.Local == "chNFe"
			if t.Name.Local == "infNFe" {
				for _, a := range t.Attr {
					if a.Name.Local == "Id" {
						id = strings.TrimPrefix(a.Value, "NFe")
					}
				}
			}
		case xml.CharData:
			if inKey {
				chNFe += strings.TrimSpace(string(t))
			}
		case xml.EndElement:
			inKey = false
		}
	}
	key := chNFe
	switch {
	case !rooted:
		return "", errors.New("no XML element")
	case key == "" && id == "":
		return "", errors.New("no access key: want protNFe/infProt/chNFe or infNFe Id")
	case key == "":
		key = id
	case id != "" && id != key:
		return "", fmt.Errorf("chNFe %s and infNFe Id %s differ", key, id)
	}
	if err := fiscal.CheckNFeKey(key); err != nil {
		return "", fmt.Errorf("access key %q: %v", key, err)
	}
	return key, nil
}

// getInvoice handles GET /shipments/{id}/invoice_data?siteId=MLB: the
// imported NF-e, or 404 [CODE-NFE].
func (ml *mercadolivre) getInvoice(w http.ResponseWriter, r *http.Request) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	sh, ok := ml.ships[r.PathValue("id")]
	if !ok || sh.Invoice == nil {
		writeMLError(w, mlNotFound())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": sh.Invoice.ID, "status": "approved", "fiscal_key": sh.Invoice.Key})
}

// attachFiscalDocument handles POST /packs/{id}/fiscal_documents
// [ML-NFE-ATT]: multipart/form-data, one part fiscal_document (a PDF or
// the XML), or two (an XML and a PDF), each at most 1 MB; one fiscal
// document per pack [inferred: a second upload is refused]. Mercado Envios
// shipments whose NF-e is imported or issued by Mercado Livre answer 403
// ("you must use the biller", [CODE-NFE]). Answers 201 {"ids"} [inferred].
func (ml *mercadolivre) attachFiscalDocument(w http.ResponseWriter, r *http.Request) {
	docs, e := mlReadFiscalParts(w, r)
	if e != nil {
		writeMLError(w, e)
		return
	}
	ids := []string{}
	if !ml.locked(w, func() *mlError {
		p := ml.pack(r.PathValue("id"))
		if sh, ok := ml.ships[p.ShipmentID]; ok && sh.Mode == "me2" && slices.Contains(mlBillerTypes, sh.LogisticType) {
			return &mlError{status: http.StatusForbidden, code: "forbidden_error",
				msg: fmt.Sprintf("you must use the biller of MercadoLibre: shipment %s is %s; import the NF-e into the shipment instead", sh.ID, mlModeName(sh))}
		}
		if len(p.FiscalDocuments) > 0 {
			p.AttachRefused++
			return mlConflict("pack %s already has its fiscal document", p.ID)
		}
		for _, d := range docs {
			d.ID = fmt.Sprint(ml.next())
			p.FiscalDocuments = append(p.FiscalDocuments, d)
			ids = append(ids, d.ID)
		}
		return nil
	}) {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ids": ids})
}

// mlReadFiscalParts reads the fiscal_document parts.
func mlReadFiscalParts(w http.ResponseWriter, r *http.Request) ([]mlFiscalDoc, *mlError) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, mlBad("the body must be multipart/form-data with a part named fiscal_document")
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, 2*mlMaxFile+64<<10), params["boundary"])
	var docs []mlFiscalDoc
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, mlBad("malformed multipart body: %v", err)
		}
		d, e := mlReadFiscalPart(part)
		if e != nil {
			return nil, e
		}
		docs = append(docs, d)
	}
	switch {
	case len(docs) == 0:
		return nil, mlBad("no fiscal_document part")
	case len(docs) > 2 || (len(docs) == 2 && docs[0].FileType == docs[1].FileType):
		return nil, mlBad("a pack takes one fiscal document, or an XML and a PDF together")
	}
	return docs, nil
}

func mlReadFiscalPart(part *multipart.Part) (mlFiscalDoc, *mlError) {
	defer part.Close()
	if part.FormName() != "fiscal_document" {
		return mlFiscalDoc{}, mlBad("unexpected part %q: the file goes in a part named fiscal_document", part.FormName())
	}
	name := part.FileName()
	if name == "" {
		return mlFiscalDoc{}, mlBad("the fiscal_document part needs a file name")
	}
	data, err := io.ReadAll(io.LimitReader(part, mlMaxFile+1))
	switch {
	case err != nil:
		return mlFiscalDoc{}, mlBad("cannot read %s: %v", name, err)
	case len(data) > mlMaxFile:
		return mlFiscalDoc{}, mlBad("%s is larger than 1 MB", name)
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return mlFiscalDoc{FileName: name, FileType: "pdf", Size: len(data)}, nil
	}
	if _, err := nfeKeyOf(data); err != nil {
		return mlFiscalDoc{}, mlBad("%s is neither a PDF nor an NF-e XML: %v", name, err)
	}
	return mlFiscalDoc{FileName: name, FileType: "xml", Size: len(data)}, nil
}

// listFiscalDocuments handles GET /packs/{id}/fiscal_documents: the
// documents attached [inferred shape: the page lists the call, not its
// answer].
func (ml *mercadolivre) listFiscalDocuments(w http.ResponseWriter, r *http.Request) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"fiscal_documents": slices.Clone(ml.pack(r.PathValue("id")).FiscalDocuments)})
}
