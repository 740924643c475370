package main

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

// eventsInboxFlags are the flags of rota events inbox.
type eventsInboxFlags struct {
	client clientFlags
	after  string
	limit  int
}

// newEventsInboxCmd is rota events inbox: the pull feed of the events
// received from marketplaces, with their forwards' state.
func newEventsInboxCmd() *cobra.Command {
	var f eventsInboxFlags
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "Show the events received from marketplaces (inbound routes) and their forwards: {\"events\": [...], \"nextCursor\", \"acked\"}",
		Long: `Inbox prints one page of the pull feed (GET /v1/inbox): the canonical events
received on inbound routes, oldest first, each with its cursor and its
webhook forward's state (pending, delivered, dead). Without --after the page
starts past the acknowledged cursor (rota events ack). See docs/inbound.md.

` + eventsExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if f.after != "" {
				q.Set("after", f.after)
			}
			if f.limit != 0 {
				q.Set("limit", strconv.Itoa(f.limit))
			}
			return f.client.call(cmd, http.MethodGet, "/v1/inbox", q, nil)
		},
	}
	f.client.register(cmd)
	cmd.Flags().StringVar(&f.after, "after", "", "start past `CURSOR` (0 for the beginning; default the acknowledged cursor)")
	cmd.Flags().IntVar(&f.limit, "limit", 0, "at most `N` events (1 to 1000; default 100)")
	return cmd
}

// newEventsAckCmd is rota events ack CURSOR: the pull feed's acknowledgement.
func newEventsAckCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "ack CURSOR",
		Short: "Acknowledge the inbox up to CURSOR (POST /v1/inbox/ack)",
		Long: `Ack records that every inbox event up to CURSOR was processed: rota events
inbox (and GET /v1/inbox) without --after then starts past it. The
acknowledged cursor only moves forward. See docs/inbound.md.

` + eventsExitCodes,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.call(cmd, http.MethodPost, "/v1/inbox/ack", nil, map[string]string{"cursor": args[0]})
		},
	}
	f.register(cmd)
	return cmd
}

// newEventsForwardCmd is rota events forward ID: a dead forward sent again.
func newEventsForwardCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "forward ID",
		Short: "Send the dead webhook forward of inbox event ID again (POST /v1/inbox/{id}/replay)",
		Long: `Forward sends the webhook of a received event whose forward is dead (its
retry schedule ran out) again, from the start of the schedule; the order's
later events, held back behind it, follow once it is delivered. See
docs/inbound.md.

` + eventsExitCodes,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.call(cmd, http.MethodPost, "/v1/inbox/"+url.PathEscape(args[0])+"/replay", nil, nil)
		},
	}
	f.register(cmd)
	return cmd
}
