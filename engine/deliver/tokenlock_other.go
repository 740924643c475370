//go:build !unix

package deliver

import (
	"context"
	"errors"
)

// lockFile: file locks are implemented for Unix systems only; elsewhere a
// FileTokenStore refuses to rotate rather than risk two processes
// renewing with one refresh token.
func lockFile(context.Context, string) (func(), error) {
	return nil, errors.New("token store: the file token store needs a Unix system (flock); use rota serve's database")
}
