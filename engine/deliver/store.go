package deliver

import (
	"context"
	"sync"
)

// Store remembers the events already delivered, by event id (the canonical
// event's id, its idempotency key). A Sender asks Seen before sending an
// event and calls Save once every call of it was accepted (outcomes
// Delivered and Unconfirmed); refused or failed events are not saved, so
// they can be sent again. Implementations must be safe for concurrent use.
// The service (engine/durable) records delivered events in its own event
// table and gives its Sender a Store that remembers nothing; the CLI uses a
// fresh MemoryStore per run.
type Store interface {
	// Seen returns the report saved for eventID, and whether there is one.
	Seen(ctx context.Context, eventID string) (*Report, bool, error)
	// Save records that eventID was delivered, with its report.
	Save(ctx context.Context, eventID string, r *Report) error
}

// MemoryStore is a Store in memory, lost when the process ends. The zero
// value is ready to use; it is safe for concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	seen map[string]*Report
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Seen implements Store.
func (m *MemoryStore) Seen(_ context.Context, eventID string) (*Report, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.seen[eventID]
	return r, ok, nil
}

// Save implements Store.
func (m *MemoryStore) Save(_ context.Context, eventID string, r *Report) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]*Report{}
	}
	m.seen[eventID] = r
	return nil
}
