package diag

// Code is a stable identifier of a kind of finding. Codes are append-only:
// once published, a code keeps its meaning. Tests assert codes, not prose.
type Code string

// Codes reported while loading and checking mapping files.
const (
	// YAMLSyntax: the file is not valid YAML.
	YAMLSyntax Code = "yaml_syntax"
	// SchemaViolation: the file breaks mapping.schema.json (wrong type, missing key...).
	SchemaViolation Code = "schema"
	// UnknownKey: a key the mapping format does not define.
	UnknownKey Code = "unknown_key"
	// DuplicateMarketplace: two files declare the same marketplace id.
	DuplicateMarketplace Code = "duplicate_marketplace"
	// ExprSyntax: an expression does not parse.
	ExprSyntax Code = "expr_syntax"
	// ExprType: an expression does not type-check against the canonical event.
	ExprType Code = "expr_type"
	// UnknownField: an expression or template reads a field the canonical event lacks.
	UnknownField Code = "unknown_field"
	// GuardNotBool: a guard or condition does not produce a boolean.
	GuardNotBool Code = "guard_not_bool"
	// UnknownStatus: a status named in the mapping is missing from its status table.
	UnknownStatus Code = "unknown_status"
	// UnknownCanonicalStatus: a status table entry names a canonical status that does not exist.
	UnknownCanonicalStatus Code = "unknown_canonical_status"
	// UnknownEventType: an events key that is not a canonical event type.
	UnknownEventType Code = "unknown_event_type"
	// MissingEventType: a canonical event type the mapping does not answer.
	MissingEventType Code = "missing_event_type"
	// UnknownTable: lookup() names a value table the mapping does not declare.
	UnknownTable Code = "unknown_table"
	// UnknownVariable: vars.X names a variable the mapping does not declare.
	UnknownVariable Code = "unknown_variable"
	// UnknownTimezone: the timezone is not in the IANA database.
	UnknownTimezone Code = "unknown_timezone"
	// BadTemplate: a template string or structure the engine cannot compile.
	BadTemplate Code = "bad_template"
	// BadURL: a base URL or allowed-host pattern that is not usable.
	BadURL Code = "bad_url"
	// UnknownEnvironment: a reference to an environment the mapping does not declare.
	UnknownEnvironment Code = "unknown_environment"
	// UnknownAuthScheme: auth.default names a scheme that is not declared.
	UnknownAuthScheme Code = "unknown_auth_scheme"
	// UnknownSecret: an auth scheme uses a secret name it does not declare.
	UnknownSecret Code = "unknown_secret"
	// UnknownQuery: a call confirms with a query the mapping does not declare.
	UnknownQuery Code = "unknown_query"
	// ScopeError: a name used outside the construct that defines it (item outside $each).
	ScopeError Code = "scope"
	// DuplicateHeader: two headers of one list whose names differ only in case.
	DuplicateHeader Code = "duplicate_header"
	// ZeroCalls: a rule whose calls can all be skipped by their when, without
	// otherwise saying why no call is needed (or an otherwise never used).
	ZeroCalls Code = "zero_calls"
	// UnusedIgnoreWhen: ignoreWhen on a rule whose fixed ignore already
	// ignores every event.
	UnusedIgnoreWhen Code = "unused_ignore_when"
	// Unreadable: a file or folder could not be read.
	Unreadable Code = "unreadable"
	// ExprNotAllowed: an expression calls a builtin the documented
	// allow-list leaves out (reduce, groupBy, sortBy...) or reads $env.
	ExprNotAllowed Code = "expr_not_allowed"
	// ExprCost: an expression would do unbounded work: a string built in a
	// predicate, a predicate in a predicate, a constant too long a string.
	ExprCost Code = "expr_cost"
	// TooLarge: a mapping file larger than the loader accepts.
	TooLarge Code = "too_large"
)
