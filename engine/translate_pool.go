package engine

import (
	"sync"
	"unsafe"

	"github.com/rotahq/rota/engine/internal/lang"
)

// translation is the per-call state of one translation, pooled so that a
// translation allocates little beyond its result. memory.go states who
// owns its buffers and what must be copied before it leaves.
type translation struct {
	env lang.Env
	r   renderer
	in  []byte
}

var translations = sync.Pool{New: func() any { return new(translation) }}

// maxPooledInput is the largest input buffer a pooled translation keeps;
// a larger event's copy is left to the garbage collector.
const maxPooledInput = 64 << 10

// poisonInput, set by tests, overwrites each input copy, output buffer and
// the text that evaluation built when its translation ends, so that a
// result still pointing into any of them shows up as garbage.
var poisonInput bool

func (t *translation) release() {
	// The event is reset when the next translation decodes into it.
	t.env.Item, t.env.Vars, t.env.Current = nil, nil, ""
	t.env.ResetText(poisonInput)
	buf, texts := t.r.buf, t.r.texts[:0]
	if poisonInput {
		poison(t.in)
		poison(buf[:cap(buf)])
	}
	if cap(t.in) > maxPooledInput {
		t.in = nil
	}
	if cap(buf) > maxPooledInput {
		buf = nil
	}
	t.r = renderer{buf: buf[:0], texts: texts}
	translations.Put(t)
}

func poison(b []byte) {
	for i := range b {
		b[i] = '#'
	}
}

// input returns the event text to decode: a view of the translation's own
// copy of raw, or, when tracing (a trace keeps event values), a new string.
func (t *translation) input(raw []byte, tr *tracer) string {
	if tr != nil {
		return string(raw)
	}
	t.in = append(t.in[:0], raw...)
	return unsafe.String(unsafe.SliceData(t.in), len(t.in))
}
