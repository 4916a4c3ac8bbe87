package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// healthCmd asks a running xcsproxy's admin endpoint whether it is alive
// (or, with --ready, ready); it is the container image's HEALTHCHECK.
func healthCmd() *cobra.Command {
	var addr string
	var ready bool
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Exit 0 when the xcsproxy at --admin answers /healthz (or /readyz with --ready)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			path := "/healthz"
			if ready {
				path = "/readyz"
			}
			hc := &http.Client{Timeout: 5 * time.Second}
			url := "http://" + strings.TrimPrefix(addr, "tcp://") + path
			if strings.HasPrefix(addr, "unix://") {
				unixClient, err := apiClient(addr)
				if err != nil {
					return err
				}
				hc.Transport, url = unixClient.Transport, "http://xcsproxy"+path
			}
			resp, err := hc.Get(url)
			if err != nil {
				return &exitError{1, fmt.Errorf("admin endpoint %s: %w", addr, err)}
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			fmt.Fprint(os.Stdout, string(body))
			if resp.StatusCode != http.StatusOK {
				return &exitError{1, fmt.Errorf("%s answered %d", path, resp.StatusCode)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "admin-listen", "unix:///run/xcsproxy/admin.sock", "the serve --admin-listen address")
	cmd.Flags().BoolVar(&ready, "ready", false, "check /readyz (daemon, policy, audit) instead of /healthz")
	return cmd
}
