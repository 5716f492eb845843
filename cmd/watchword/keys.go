package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/web"
)

// newKeysCmd manages the API keys of a running server; every sub-command
// needs an admin key (the server token is one).
func newKeysCmd(stdout io.Writer) *cobra.Command {
	return groupCmd("keys", "Create, list and revoke the API keys of a running server (needs an admin key)",
		newKeysCreateCmd(stdout), newKeysListCmd(stdout), newKeysRevokeCmd(stdout))
}

func newKeysCreateCmd(stdout io.Writer) *cobra.Command {
	var (
		srv   serverFlags
		scope string
	)
	c := &cobra.Command{
		Use:   "create NAME [flags]",
		Short: "Create a key and print its secret, shown this once",
		Args:  exactArgs(1, "the key's name (whose it is, what it is for)"),
		RunE: func(c *cobra.Command, args []string) error {
			body, _ := json.Marshal(web.KeyInput{Name: args[0], Scope: keys.Scope(scope)})
			var res web.CreatedKey
			if err := srv.client().do(c.Context(), "POST", "/api/keys", "application/json", body, &res); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created %s key %s (%s)\n%s\n", res.Key.Scope, res.Key.ID, res.Key.Name, res.Secret)
			fmt.Fprintln(stdout, "The secret above is shown only now; the server keeps only its hash.")
			return nil
		},
	}
	fs := c.Flags()
	srv.register(fs)
	fs.StringVar(&scope, "scope", "read", "read, write or admin")
	return c
}

func newKeysListCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	c := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the keys (never their secrets)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var res struct {
				Keys []keys.Key `json:"keys"`
			}
			if err := srv.client().do(c.Context(), "GET", "/api/keys", "", nil, &res); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tBY\tREVOKED")
			for _, k := range res.Keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Scope, when(&k.CreatedAt), k.CreatedBy, when(k.RevokedAt))
			}
			return tw.Flush()
		},
	}
	srv.register(c.Flags())
	return c
}

func newKeysRevokeCmd(stdout io.Writer) *cobra.Command {
	var srv serverFlags
	c := &cobra.Command{
		Use:   "revoke ID [flags]",
		Short: "Revoke a key: it stops working at once, UI sessions included",
		Args:  exactArgs(1, "one key id"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := srv.client().do(c.Context(), "DELETE", "/api/keys/"+url.PathEscape(args[0]), "", nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked key %s\n", args[0])
			return nil
		},
	}
	srv.register(c.Flags())
	return c
}
