package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xcsproxy/xcsproxy/commands"
)

func commandCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "command",
		Short: "Validate, resolve, list and launch XNAT Commands",
	}
	cmd.AddCommand(commandValidateCmd(), commandResolveCmd(), commandLaunchCmd(), commandListCmd())
	return cmd
}

func readCommand(path string) (*commands.Command, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return commands.Parse(b)
}

func commandValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check Command files with the Container Service's rules; exit 1 when any is invalid",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, files []string) error {
			bad := 0
			for _, f := range files {
				c, warnings, err := readCommand(f)
				if err != nil {
					fmt.Printf("%s: %v\n", f, err)
					bad++
					continue
				}
				for _, w := range warnings {
					fmt.Printf("%s: warning: %s\n", f, w)
				}
				problems := commands.Validate(c)
				for _, p := range problems {
					fmt.Printf("%s: %s\n", f, p)
				}
				if len(problems) > 0 {
					bad++
				} else {
					fmt.Printf("%s: ok (%s)\n", f, c.Name)
				}
			}
			if bad > 0 {
				return &exitError{1, fmt.Errorf("%d of %d file(s) invalid", bad, len(files))}
			}
			return nil
		},
	}
}

// launchFlags are the inputs shared by resolve and launch.
type launchFlags struct {
	wrapper, backend string
	inputs, mounts   []string
}

func (lf *launchFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&lf.wrapper, "wrapper", "", "the XNAT wrapper to launch through")
	f.StringArrayVar(&lf.inputs, "input", nil, "NAME=VALUE (repeatable); VALUE @PATH reads a file, e.g. an XNAT object's JSON")
	f.StringArrayVar(&lf.mounts, "mount", nil, "MOUNT=HOSTPATH (repeatable)")
	f.StringVar(&lf.backend, "backend", "docker", "docker or swarm")
}

func (lf *launchFlags) launch() (commands.Launch, error) {
	l := commands.Launch{Wrapper: lf.wrapper, Backend: lf.backend, Inputs: map[string]string{}, Mounts: map[string]string{}}
	for _, kv := range lf.inputs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return l, fmt.Errorf("--input %q: want NAME=VALUE", kv)
		}
		if path, isFile := strings.CutPrefix(v, "@"); isFile {
			b, err := os.ReadFile(path)
			if err != nil {
				return l, fmt.Errorf("--input %s: %w", k, err)
			}
			v = string(b)
		}
		l.Inputs[k] = v
	}
	for _, kv := range lf.mounts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return l, fmt.Errorf("--mount %q: want MOUNT=HOSTPATH", kv)
		}
		l.Mounts[k] = v
	}
	return l, nil
}

func commandResolveCmd() *cobra.Command {
	var lf launchFlags
	var asJSON bool
	var buildRoot string
	cmd := &cobra.Command{
		Use:   "resolve FILE",
		Short: "Print the resolved command line and the Docker request a launch would send",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, _, err := readCommand(args[0])
			if err != nil {
				return err
			}
			l, err := lf.launch()
			if err != nil {
				return err
			}
			plan, err := commands.Prepare(c, l, commands.Options{BuildRoot: buildRoot})
			if err != nil {
				return &exitError{1, err}
			}
			out := map[string]any{"command_line": plan.Resolved.CommandLine}
			if plan.Create != nil {
				out["create"] = plan.Create.CreateRequest
				out["name"] = plan.Create.Name
			} else {
				out["service"] = plan.Service
			}
			if !asJSON {
				fmt.Println(plan.Resolved.CommandLine)
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if asJSON {
				return enc.Encode(out)
			}
			delete(out, "command_line")
			return enc.Encode(out)
		},
	}
	lf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object: command_line and create (or service)")
	cmd.Flags().StringVar(&buildRoot, "build-root", "/data/xnat/build", "where output mounts would go")
	return cmd
}

// apiClient talks to a running xcsproxy's own API.
func apiClient(host string) (*http.Client, error) {
	path, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		return nil, fmt.Errorf("--host %q: only unix:// sockets are supported here", host)
	}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}, nil
}

func defaultHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return "unix:///run/xcsproxy/docker.sock"
}

func apiCall(host, method, path string, body any) error {
	hc, err := apiClient(host)
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://xcsproxy"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") == nil {
		raw = pretty.Bytes()
	}
	fmt.Println(string(raw))
	if resp.StatusCode/100 != 2 {
		return &exitError{1, fmt.Errorf("%s %s: %s", method, path, resp.Status)}
	}
	return nil
}

func commandLaunchCmd() *cobra.Command {
	var lf launchFlags
	var host string
	cmd := &cobra.Command{
		Use:   "launch NAME",
		Short: "Launch a Command known to a running xcsproxy, through its policy",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			l, err := lf.launch()
			if err != nil {
				return err
			}
			return apiCall(host, "POST", "/xcsproxy/v1/commands/"+url.PathEscape(args[0])+"/launch", l)
		},
	}
	lf.add(cmd)
	cmd.Flags().StringVar(&host, "host", defaultHost(), "the xcsproxy socket")
	return cmd
}

func commandListCmd() *cobra.Command {
	var host string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the Commands a running xcsproxy knows (files and image labels)",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			return apiCall(host, "GET", "/xcsproxy/v1/commands", nil)
		},
	}
	cmd.Flags().StringVar(&host, "host", defaultHost(), "the xcsproxy socket")
	return cmd
}
