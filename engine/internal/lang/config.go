package lang

import (
	"errors"
	"reflect"
	"slices"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/vm"
)

// Configs is expr's configuration for the expressions of one engine: the
// environment of each dialect, the builtins allowed, the domain functions of
// each Library and the patchers, built once and shared by every expression
// compiled with it, where expr.Compile would build them again for each one.
// The zero value is not usable; call NewConfigs.
//
// Configs is safe for concurrent use: compiles that share it run one at a
// time, since expr's type checker fills caches inside the configuration.
// It keeps every Library it has compiled for, so it lives as long as the
// engine it was made for.
type Configs struct {
	mu     sync.Mutex
	base   map[Dialect]*conf.Config
	libs   map[libDialect]*conf.Config
	native NativeCompiler
}

type libDialect struct {
	lib     *Library
	dialect Dialect
}

// NewConfigs returns an empty set of configurations. Outbound programs
// compiled with it get the native form native gives them; with a nil
// native, expr's VM runs every program.
func NewConfigs(native NativeCompiler) *Configs {
	return &Configs{base: map[Dialect]*conf.Config{}, libs: map[libDialect]*conf.Config{}, native: native}
}

// compile type-checks and compiles an expression with the configuration of
// o's dialect and library, plus the patchers and result type of this
// expression. It is expr.Compile with a shared configuration.
func (cs *Configs) compile(text string, o Options, patchers []ast.Visitor) (*vm.Program, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cfg := *cs.config(o.Lib, o.Dialect)
	cfg.Visitors = append(slices.Clip(cfg.Visitors), patchers...)
	if o.Bool {
		cfg.Expect, cfg.ExpectAny = reflect.Bool, true
	}
	return compileWith(text, &cfg)
}

// config returns the shared configuration of a library and dialect,
// building it on first use from the dialect's. The libraries of one engine
// share the dialect's environment and the type information expr caches in it.
func (cs *Configs) config(lib *Library, d Dialect) *conf.Config {
	key := libDialect{lib, d}
	if c, ok := cs.libs[key]; ok {
		return c
	}
	base, ok := cs.base[d]
	if !ok {
		base = newConfig(dialectOptions(d))
		cs.base[d] = base
	}
	c := *base
	c.Functions = maps(base.Functions)
	if lib == nil {
		lib = &Library{}
	}
	for _, op := range lib.options() {
		op(&c)
	}
	cs.libs[key] = &c
	return &c
}

func maps(m conf.FunctionsTable) conf.FunctionsTable {
	out := make(conf.FunctionsTable, len(m)+16)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// newConfig applies options to a new configuration as expr.Compile does.
func newConfig(opts []expr.Option) *conf.Config {
	c := conf.CreateNew()
	for _, op := range opts {
		op(c)
	}
	for name := range c.Disabled {
		delete(c.Builtins, name)
	}
	return c
}

// dialectOptions are the options every expression of a dialect is compiled
// with, whatever its library: the environment, the limits, the builtins and
// the dialect's patchers.
func dialectOptions(d Dialect) []expr.Option {
	opts := []expr.Option{envOption(d), expr.MaxNodes(MaxNodes), expr.DisableAllBuiltins()}
	for _, b := range Builtins {
		if !costBuiltins[b] {
			opts = append(opts, expr.EnableBuiltin(b))
		}
	}
	opts = append(opts, costOptions()...)
	switch d {
	case Outbound:
		opts = append(opts, expr.Patch(presencePatcher{}), expr.Patch(lazyPatcher{}))
	case Inbound:
		opts = append(opts, expr.AllowUndefinedVariables(), expr.Patch(nilTestPatcher{}))
	}
	return opts
}

// compileWith is the body of expr.Compile after its options are applied.
func compileWith(text string, cfg *conf.Config) (*vm.Program, error) {
	cfg.Check()
	tree, err := checker.ParseCheck(text, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Optimize {
		if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				return nil, fe.Bind(tree.Source)
			}
			return nil, err
		}
	}
	return compiler.Compile(tree, cfg)
}
