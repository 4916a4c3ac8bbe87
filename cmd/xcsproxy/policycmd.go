package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/spf13/cobra"

	"github.com/xcsproxy/xcsproxy/policy"
)

func policyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Test, check and try out a policy directory",
	}
	cmd.AddCommand(policyTestCmd(), policyCheckCmd(), policyEvalCmd())
	return cmd
}

func dirArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func policyTestCmd() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the *_test.rego files (default: the embedded pack); exit 1 on any failure",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := loadPolicy(cmd.Context(), dirArg(args))
			if err != nil {
				return err
			}
			results, err := set.RunTests(cmd.Context())
			if err != nil {
				return err
			}
			failed := 0
			for _, r := range results {
				if !r.Pass {
					failed++
					fmt.Printf("FAIL %s (%s): %s\n", r.Name, r.File, r.Detail)
				} else if verbose {
					fmt.Printf("PASS %s\n", r.Name)
				}
			}
			fmt.Printf("%d passed, %d failed\n", len(results)-failed, failed)
			if len(results) == 0 {
				return &exitError{1, fmt.Errorf("no tests found")}
			}
			if failed > 0 {
				return &exitError{1, fmt.Errorf("%d policy test(s) failed", failed)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list passing tests too")
	return cmd
}

func policyCheckCmd() *cobra.Command {
	var write bool
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Compile the policy and report files that are not opa-fmt formatted (--write fixes them)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := loadPolicy(cmd.Context(), dirArg(args))
			if err != nil {
				return &exitError{1, err}
			}
			bad, err := set.Unformatted()
			if err != nil {
				return &exitError{1, err}
			}
			for _, f := range bad {
				if write && dirArg(args) != "" {
					path := filepath.Join(dirArg(args), f)
					formatted, err := policy.Format(f, set.Sources[f])
					if err == nil {
						err = os.WriteFile(path, formatted, 0o644)
					}
					if err != nil {
						return &exitError{1, fmt.Errorf("formatting %s: %w", path, err)}
					}
					fmt.Printf("formatted: %s\n", path)
					continue
				}
				fmt.Printf("unformatted: %s (xcsproxy policy check --write DIR fixes it)\n", f)
			}
			if write {
				bad = nil
			}
			if len(bad) > 0 {
				return &exitError{1, fmt.Errorf("%d file(s) not formatted", len(bad))}
			}
			fmt.Printf("ok: revision %s, %d modules, %d test modules\n", set.Revision, len(set.Modules), len(set.Tests))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&write, "write", "w", false, "rewrite unformatted files in place")
	return cmd
}

func policyEvalCmd() *cobra.Command {
	var inputFile string
	cmd := &cobra.Command{
		Use:   "eval --input FILE [DIR]",
		Short: "Print the decision for one input document (JSON); exit 1 when it denies",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if inputFile == "" {
				return fmt.Errorf("--input FILE is required (a JSON input document, - for stdin)")
			}
			var raw []byte
			var err error
			if inputFile == "-" {
				raw, err = io.ReadAll(os.Stdin)
			} else {
				raw, err = os.ReadFile(inputFile)
			}
			if err != nil {
				return fmt.Errorf("reading input: %w", err)
			}
			value, err := ast.ValueFromReader(bytes.NewReader(raw))
			if err != nil {
				return fmt.Errorf("parsing input %s: %w", inputFile, err)
			}
			set, err := loadPolicy(cmd.Context(), dirArg(args))
			if err != nil {
				return err
			}
			d := set.Decide(cmd.Context(), value, policy.DefaultTimeout)
			out, _ := json.MarshalIndent(d, "", "  ")
			fmt.Println(string(out))
			if !d.Allow {
				return &exitError{1, fmt.Errorf("denied")}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&inputFile, "input", "", "input document (JSON), - for stdin")
	return cmd
}
