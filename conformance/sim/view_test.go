package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOrdersViewSortedByID: every marketplace's admin view lists its
// orders by id whatever order they were set in, with Napse's lag and no
// lag key for the others.
func TestOrdersViewSortedByID(t *testing.T) {
	tests := []struct {
		marketplace, status, list string
		wantLag                   bool
	}{
		{SkyHub, "order_invoiced", "orders", false},
		{FastShop, "invoiced", "orders", false},
		{Napse, "confirmed", "orders", true},
		{Dafiti, "shipped", "orderItems", false},
	}
	for _, tt := range tests {
		t.Run(tt.marketplace, func(t *testing.T) {
			s := New(Options{})
			var m market
			for _, mk := range s.markets() {
				if mk.id() == tt.marketplace {
					m = mk
				}
			}
			for _, id := range []string{"30", "10", "20"} {
				if err := m.setStatus(id, tt.status); err != nil {
					t.Fatal(err)
				}
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_sim/orders/"+tt.marketplace, nil))
			var view map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
				t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
			}
			var orders []struct{ ID string }
			if err := json.Unmarshal(view[tt.list], &orders); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, o := range orders {
				ids = append(ids, o.ID)
			}
			if got := strings.Join(ids, " "); got != "10 20 30" {
				t.Errorf("got ids %q, want %q", got, "10 20 30")
			}
			if _, got := view["lag"]; got != tt.wantLag {
				t.Errorf("lag present = %v, want %v: %s", got, tt.wantLag, rec.Body)
			}
		})
	}
}
