package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// TokenPair is the current token pair of an OAuth2 authorization-code
// scheme: the access token the calls carry and the refresh token that
// renews it. Both are secrets: never log or print them.
type TokenPair struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	// Expiry is when the access token stops working, from the token
	// service's expires_in; zero when it did not say.
	Expiry time.Time `json:"expiry,omitzero"`
}

// TokenStore keeps the token pair of each OAuth2 authorization-code scheme
// (type oauth2-authorization-code), durably and shared by every process that
// sends for the scheme: the marketplace accepts a refresh token once, so a
// pair kept in one process's memory, or refreshed by two processes at once,
// locks the integration out until the seller authorizes it again.
//
// Keys are TokenKey(marketplace, scheme). Implementations are safe for
// concurrent use by goroutines and by processes sharing the store's file
// or database.
type TokenStore interface {
	// Load returns the stored pair of key; found is false when there is none.
	Load(ctx context.Context, key string) (pair TokenPair, found bool, err error)
	// Put stores pair under key, replacing any pair stored before (the
	// first pair, from an authorization code).
	Put(ctx context.Context, key string, pair TokenPair) error
	// Rotate calls fn with the stored pair of key (found false when none)
	// while holding a lock on key that every user of the store respects,
	// and stores the pair fn returns before it releases the lock, so that
	// no two callers ever renew with the same refresh token: one that
	// waited sees the pair the other stored. fn returns the pair it was
	// given to store nothing. When fn fails, nothing is stored and its
	// error is returned.
	Rotate(ctx context.Context, key string, fn func(current TokenPair, found bool) (TokenPair, error)) (TokenPair, error)
}

// TokenKey is the key of a scheme's token pair in a TokenStore:
// MARKETPLACE/SCHEME.
func TokenKey(marketplace, scheme string) string { return marketplace + "/" + scheme }

// MemoryTokenStore keeps token pairs in memory: for tests and for a
// program that seeds and uses the pair within one run. A refresh token
// rotated in memory is lost when the process ends, so a service uses a
// FileTokenStore or the database store of package durable. Safe for
// concurrent use.
type MemoryTokenStore struct {
	mu    sync.Mutex
	pairs map[string]TokenPair
}

// NewMemoryTokenStore returns an empty MemoryTokenStore.
func NewMemoryTokenStore() *MemoryTokenStore { return &MemoryTokenStore{pairs: map[string]TokenPair{}} }

// Load implements TokenStore.
func (m *MemoryTokenStore) Load(_ context.Context, key string) (TokenPair, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pairs[key]
	return p, ok, nil
}

// Put implements TokenStore.
func (m *MemoryTokenStore) Put(_ context.Context, key string, pair TokenPair) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pairs[key] = pair
	return nil
}

// Rotate implements TokenStore; the lock is the store's mutex.
func (m *MemoryTokenStore) Rotate(_ context.Context, key string, fn func(TokenPair, bool) (TokenPair, error)) (TokenPair, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.pairs[key]
	next, err := fn(cur, ok)
	if err != nil {
		return TokenPair{}, err
	}
	m.pairs[key] = next
	return next, nil
}

// FileTokenStore keeps each token pair in a JSON file of its own under Dir
// (KEY with / as __, .json), mode 0600, replaced atomically (a temporary
// file renamed over it), so a crash never leaves half a pair. Rotate holds
// an exclusive lock on KEY.json.lock (flock), which makes processes on one
// machine that share Dir (rota send runs) wait for each other's refresh.
// Safe for concurrent use. Dir is created (mode 0700) on first write.
type FileTokenStore struct {
	Dir string

	mu sync.Mutex // goroutines of one process; the lock file serializes processes
}

// NewFileTokenStore returns a FileTokenStore keeping its files under dir.
func NewFileTokenStore(dir string) *FileTokenStore { return &FileTokenStore{Dir: dir} }

// maxTokenFile bounds what is read of a token file.
const maxTokenFile = 64 << 10

func (f *FileTokenStore) path(key string) (string, error) {
	if key == "" || strings.ContainsAny(key, "\\\x00") || strings.Contains(key, "..") {
		return "", fmt.Errorf("token store: key %q is not usable as a file name", key)
	}
	return filepath.Join(f.Dir, strings.ReplaceAll(key, "/", "__")+".json"), nil
}

// Load implements TokenStore. A file that is not a token pair is an error
// naming the file, never silently ignored.
func (f *FileTokenStore) Load(_ context.Context, key string) (TokenPair, bool, error) {
	p, err := f.path(key)
	if err != nil {
		return TokenPair{}, false, err
	}
	return readTokenFile(p)
}

func readTokenFile(p string) (TokenPair, bool, error) {
	fh, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return TokenPair{}, false, nil
	}
	if err != nil {
		return TokenPair{}, false, fmt.Errorf("token store: %w", err)
	}
	defer fh.Close()
	var pair TokenPair
	dec := json.NewDecoder(&limitedReader{r: fh, n: maxTokenFile})
	if err := dec.Decode(&pair); err != nil || pair.RefreshToken == "" {
		return TokenPair{}, false, fmt.Errorf("token store: %s is not a token pair (want {\"accessToken\", \"refreshToken\", \"expiry\"}); seed it again with rota auth exchange", p)
	}
	return pair, true, nil
}

// Put implements TokenStore.
func (f *FileTokenStore) Put(ctx context.Context, key string, pair TokenPair) error {
	_, err := f.Rotate(ctx, key, func(TokenPair, bool) (TokenPair, error) { return pair, nil })
	return err
}

// Rotate implements TokenStore under the key's lock file.
func (f *FileTokenStore) Rotate(ctx context.Context, key string, fn func(TokenPair, bool) (TokenPair, error)) (TokenPair, error) {
	p, err := f.path(key)
	if err != nil {
		return TokenPair{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return TokenPair{}, fmt.Errorf("token store: %w", err)
	}
	unlock, err := lockFile(ctx, p+".lock")
	if err != nil {
		return TokenPair{}, err
	}
	defer unlock()
	cur, found, err := readTokenFile(p)
	if err != nil {
		return TokenPair{}, err
	}
	next, err := fn(cur, found)
	if err != nil {
		return TokenPair{}, err
	}
	if found && next == cur {
		return cur, nil
	}
	return next, writeTokenFile(p, next)
}

// writeTokenFile replaces p with pair: a temporary file in the same
// directory, mode 0600, synced, renamed over p, the directory synced.
func writeTokenFile(p string, pair TokenPair) error {
	raw, err := json.Marshal(pair)
	if err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+".*.tmp")
	if err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("token store: %w", err)
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("token store: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("token store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	if d, err := os.Open(filepath.Dir(p)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// limitedReader reads at most n bytes, then reports an error rather than
// a silent end (a token file is small; a huge one is not ours).
type limitedReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("token file too large")
	}
	if int64(len(b)) > l.n {
		b = b[:l.n]
	}
	n, err := l.r.Read(b)
	l.n -= int64(n)
	return n, err
}
