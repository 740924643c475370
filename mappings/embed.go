// Package mappings holds the bundled mapping files, one per marketplace,
// embedded so the rota binary works anywhere.
package mappings

import "embed"

// FS holds the bundled *.yaml mapping files.
//
//go:embed *.yaml
var FS embed.FS
