package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/spf13/cobra"
)

// defaultServer is where the API clients (rota events, rota orders) look for
// rota serve when neither --server nor ROTA_SERVER says otherwise; it is
// rota serve's default --addr.
const defaultServer = "http://" + defaultServeAddr

// clientTimeout bounds one API request of the client verbs.
const clientTimeout = 30 * time.Second

// maxClientAnswer bounds the answer the client verbs read.
const maxClientAnswer = 16 << 20

// clientFlags are the flags of the verbs that talk to rota serve.
type clientFlags struct {
	server string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	def := os.Getenv("ROTA_SERVER")
	if def == "" {
		def = defaultServer
	}
	cmd.Flags().StringVar(&f.server, "server", def, "the `URL` of rota serve (default from ROTA_SERVER)")
}

// call sends one request to the server of --server, as apiClient.call
// does, and prints the answer on cmd's output; a bad --server or a missing
// token is a usage error.
func (f *clientFlags) call(cmd *cobra.Command, method, path string, query url.Values, body any) error {
	c, err := newAPIClient(cmd.ErrOrStderr(), f)
	if err != nil {
		return err
	}
	return c.call(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), method, path, query, body)
}

// apiClient calls rota serve's API with the token of ROTA_API_TOKEN.
type apiClient struct {
	base  *url.URL
	token string
	http  *http.Client
}

// newAPIClient checks --server and the token; a problem is a usage error.
func newAPIClient(stderr io.Writer, f *clientFlags) (*apiClient, error) {
	u, err := url.Parse(f.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf(stderr, "--server %q: want the server's http(s) URL, such as %s", f.server, defaultServer)
	}
	token := os.Getenv(apiTokenVar)
	if token == "" {
		return nil, usageErrorf(stderr, "set %s to the API token of the server (rota serve prints one with --sim)", apiTokenVar)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &apiClient{base: u, token: token, http: &http.Client{Timeout: clientTimeout}}, nil
}

// call sends one request and prints the answer: a success on stdout (exit
// 0); an error document on stdout with one line on stderr, exit 1 when the
// server refused the request (404, 409, 4xx) and 2 when the client or the
// server is at fault (a wrong token, an unreachable server, 5xx).
func (c *apiClient) call(ctx context.Context, stdout, stderr io.Writer, method, path string, query url.Values, body any) error {
	u := *c.base
	u.RawPath = c.base.Path + path
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return failf(stderr, "cannot encode the request: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return failf(stderr, "cannot build the request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return failf(stderr, "cannot reach %s: %v", c.base.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxClientAnswer))
	if err != nil {
		return failf(stderr, "cannot read the answer of %s: %v", c.base.Redacted(), err)
	}
	return printAnswer(stdout, stderr, resp.StatusCode, raw)
}

// printAnswer prints the server's JSON answer and decides the exit code.
func printAnswer(stdout, stderr io.Writer, status int, raw []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(raw), "", "  "); err != nil {
		return failf(stderr, "the server answered HTTP %d with something that is not JSON", status)
	}
	out.WriteByte('\n')
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	if status < 300 {
		return nil
	}
	var eb struct {
		Error *engine.Error `json:"error"`
	}
	line := fmt.Sprintf("rota: the server answered HTTP %d", status)
	if json.Unmarshal(raw, &eb) == nil && eb.Error != nil {
		line = errorLine(eb.Error)
	}
	fmt.Fprintln(stderr, line)
	if status >= 500 || status == http.StatusUnauthorized {
		return exitError{code: exitUsage}
	}
	return exitError{code: exitRefused}
}

// unwrapURLError drops the method and URL *url.Error repeats.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
