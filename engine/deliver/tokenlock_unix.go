//go:build unix

package deliver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockFile takes an exclusive flock on path (created, mode 0600), waiting
// for another process to release it until ctx ends.
func lockFile(ctx context.Context, path string) (func(), error) {
	fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("token store: %w", err)
	}
	for {
		err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(fh.Fd()), syscall.LOCK_UN)
				fh.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			fh.Close()
			return nil, fmt.Errorf("token store: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			fh.Close()
			return nil, fmt.Errorf("token store: waiting for the lock %s held by another process: %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
