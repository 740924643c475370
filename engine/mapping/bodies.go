package mapping

import "go.yaml.in/yaml/v3"

// RawBody is a body sent as the bytes of a text template: an XML
// document, a file taken from the event.
type RawBody struct {
	// ContentType is the media type sent in the Content-Type header.
	ContentType string `yaml:"contentType"`
	// Content is the text template of the body.
	Content yaml.Node `yaml:"content"`
	// Decode is "base64" when the text is base64 and the decoded bytes
	// are sent; empty to send the text itself.
	Decode string `yaml:"decode"`
}

// Part is one part of a multipart/form-data body.
type Part struct {
	// Name is the form field name.
	Name string `yaml:"name"`
	// Filename, a text template, makes the part a file part.
	Filename yaml.Node `yaml:"filename"`
	// ContentType is the part's media type (default text/plain;
	// charset=utf-8 for value parts, application/octet-stream for file
	// parts, application/json for JSON parts).
	ContentType string `yaml:"contentType"`
	// Content is a text template; a part has Content or JSON.
	Content yaml.Node `yaml:"content"`
	// JSON is a JSON template, sent as application/json.
	JSON yaml.Node `yaml:"json"`
	// Decode is "base64" when Content is base64 and the decoded bytes are
	// sent.
	Decode string `yaml:"decode"`
	// When makes the part conditional, as a call's when.
	When *Expr `yaml:"when"`
}
