package main

import (
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

func newOrdersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "orders",
		Short: "Show where an order of a running rota serve stands",
		Long: `Orders talks to a running rota serve (--server URL, default ROTA_SERVER or
` + defaultServer + `) with the API token of ROTA_API_TOKEN.

` + eventsExitCodes,
		Args: cobra.NoArgs,
		RunE: usageOnly,
	}
	cmd.AddCommand(newOrdersShowCmd())
	return cmd
}

func newOrdersShowCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "show MARKETPLACE MARKETPLACE_ORDER_ID",
		Short: "Show an order: its canonical and marketplace status, and its timeline",
		Long: `Show prints the order MARKETPLACE_ORDER_ID of MARKETPLACE as rota serve keeps
it: "status" (canonical), "marketplaceStatus" (the marketplace's own) after
the last successful call, and the timeline of its events.

` + eventsExitCodes,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.call(cmd, http.MethodGet,
				"/v1/orders/"+url.PathEscape(args[0])+"/"+url.PathEscape(args[1]), nil, nil)
		},
	}
	f.register(cmd)
	return cmd
}
