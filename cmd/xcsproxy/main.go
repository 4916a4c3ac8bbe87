// Command xcsproxy is a policy-enforcing Docker API proxy for XNAT's
// Container Service. This package only wires flags to the packages that do
// the work.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	root := &cobra.Command{
		Use:           "xcsproxy",
		Short:         "A policy-enforcing Docker API proxy for XNAT's Container Service",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), policyCmd(), auditCmd(), commandCmd(), healthCmd(), doctorCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "xcsproxy:", err)
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit status (e.g. 1 for failing policy tests).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 2
}

// bindEnv gives every flag of cmd an XCSPROXY_<FLAG> twin. A flag given on
// the command line wins over its environment variable.
func bindEnv(cmd *cobra.Command) error {
	var firstErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || firstErr != nil {
			return
		}
		name := "XCSPROXY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		values := []string{v}
		if f.Value.Type() == "stringArray" || f.Value.Type() == "stringSlice" {
			values = strings.Split(v, ",")
		}
		for _, one := range values {
			if err := f.Value.Set(strings.TrimSpace(one)); err != nil {
				firstErr = fmt.Errorf("%s=%q: %w", name, v, err)
				return
			}
		}
		f.Changed = true
	})
	return firstErr
}
