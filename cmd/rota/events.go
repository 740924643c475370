package main

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

const eventsExitCodes = `Exit codes: 0 the server answered; 1 the server refused the request (no such
event or order, an event not in a state the operation applies to, a bad
parameter): its error JSON on stdout, one line on stderr; 2 usage, no
ROTA_API_TOKEN, a wrong token, the server unreachable or failing.`

func newEventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List, show, replay and skip the events of a running rota serve",
		Long: `Events talks to a running rota serve (--server URL, default ROTA_SERVER or
` + defaultServer + `) with the API token of ROTA_API_TOKEN, and prints the
server's JSON answer (docs/service.md).

` + eventsExitCodes,
		Args: cobra.NoArgs,
		RunE: usageOnly,
	}
	cmd.AddCommand(newEventsListCmd(), newEventsShowCmd(), newEventsReplayCmd(), newEventsSkipCmd(), newEventsInboxCmd(), newEventsAckCmd(), newEventsForwardCmd())
	return cmd
}

// eventsListFlags are the flags of rota events list.
type eventsListFlags struct {
	client      clientFlags
	state       string
	marketplace string
	cursor      string
	limit       int
}

func newEventsListCmd() *cobra.Command {
	var f eventsListFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List events, newest first: {\"events\": [...], \"nextCursor\": ...}",
		Long: `List prints one page of events, newest first, as {"events": [...],
"nextCursor": "..."}; pass the nextCursor with --cursor for the next page
(there is none after the last page).

` + eventsExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			set := func(name, v string) {
				if v != "" {
					q.Set(name, v)
				}
			}
			set("state", f.state)
			set("marketplace", f.marketplace)
			set("cursor", f.cursor)
			if f.limit != 0 {
				q.Set("limit", strconv.Itoa(f.limit))
			}
			return f.client.call(cmd, http.MethodGet, "/v1/events", q, nil)
		},
	}
	f.client.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.state, "state", "", "only events in `STATE`: pending, delivered, ignored, dead or skipped")
	fl.StringVar(&f.marketplace, "marketplace", "", "only events of marketplace `NAME`")
	fl.StringVar(&f.cursor, "cursor", "", "continue after the page that answered nextCursor `CURSOR`")
	fl.IntVar(&f.limit, "limit", 0, "at most `N` events (1 to 500; default 50)")
	return cmd
}

// eventCmd builds a verb that takes one event id and calls method on path
// (with %s as the escaped id).
func eventCmd(use, short, long, method, suffix string, body func() any, extra func(*cobra.Command)) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + "\n\n" + eventsExitCodes,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var b any
			if body != nil {
				b = body()
			}
			return f.call(cmd, method,
				"/v1/events/"+url.PathEscape(args[0])+suffix, nil, b)
		},
	}
	f.register(cmd)
	if extra != nil {
		extra(cmd)
	}
	return cmd
}

func newEventsShowCmd() *cobra.Command {
	return eventCmd("show ID", "Show an event: its state, every attempt, the next one",
		`Show prints the event with id ID: its state (pending, delivered, ignored,
dead, skipped), its order, every delivery attempt (time, call, HTTP status,
the marketplace's code and message, outcome) and when the next one is due.`,
		http.MethodGet, "", nil, nil)
}

func newEventsReplayCmd() *cobra.Command {
	return eventCmd("replay ID", "Re-drive a dead event: it is pending again, its order unblocked",
		`Replay moves the dead event ID back to pending: it is delivered again, from
the first call that has not succeeded, with a fresh retry schedule. The
event's order waits for it as before. Replaying an event that is not dead is
refused (conflict).`,
		http.MethodPost, "/replay", nil, nil)
}

func newEventsSkipCmd() *cobra.Command {
	var reason string
	return eventCmd("skip ID", "Give up a dead or pending event; its order's later events go on",
		`Skip gives up the event ID for good (state skipped): it is not delivered,
and the later events of its order, which waited for it, go on. --reason is
kept with the event.`,
		http.MethodPost, "/skip", func() any { return map[string]string{"reason": reason} },
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&reason, "reason", "", "why the event is skipped, kept with it (`TEXT`, at most 1000 bytes)")
		})
}
