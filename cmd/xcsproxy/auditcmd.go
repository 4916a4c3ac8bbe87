package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xcsproxy/xcsproxy/audit"
)

func auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Review and verify the audit log",
	}
	cmd.AddCommand(auditShowCmd(), auditSummaryCmd(), auditVerifyCmd())
	return cmd
}

// parseWhen takes a duration back from now ("1h") or an RFC 3339 time.
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (1h) nor an RFC 3339 time", s)
	}
	return t, nil
}

func auditShowCmd() *cobra.Command {
	var f audit.Filter
	var since, until string
	var asJSON, follow bool
	cmd := &cobra.Command{
		Use:   "show FILE...",
		Short: "List decisions (a table, or --json), filtered; --follow tails a live log",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var err error
			if f.Since, err = parseWhen(since); err != nil {
				return err
			}
			if f.Until, err = parseWhen(until); err != nil {
				return err
			}
			out := newShowWriter(os.Stdout, asJSON)
			if follow {
				defer out.flush()
				return audit.Follow(cmd.Context(), files[len(files)-1], func(r *audit.Record) error {
					if r.Type == audit.TypeOutcome || f.Match(r, nil) {
						out.row(r, nil)
						out.flush()
					}
					return nil
				})
			}
			// Outcomes follow their decisions; join them first.
			outcomes := map[string]*audit.Outcome{}
			var decisions []*audit.Record
			err = audit.Read(files, func(r *audit.Record) error {
				if r.Type == audit.TypeOutcome {
					outcomes[r.DecisionID] = r.Outcome
				} else {
					decisions = append(decisions, r)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, r := range decisions {
				if f.Match(r, outcomes[r.DecisionID]) {
					out.row(r, outcomes[r.DecisionID])
				}
			}
			out.flush()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.Denied, "denied", false, "only denied requests")
	fl.StringVar(&since, "since", "", "from this time (RFC 3339) or this long ago (1h)")
	fl.StringVar(&until, "until", "", "up to this time (RFC 3339) or this long ago")
	fl.StringVar(&f.Client, "client", "", "client, as uid=N or cert=CN (substring)")
	fl.StringVar(&f.Endpoint, "endpoint", "", "endpoint name, or a prefix ending in * (container.*)")
	fl.StringVar(&f.Image, "image", "", "image reference (substring)")
	fl.StringVar(&f.Container, "container", "", "container id prefix or name")
	fl.StringVar(&f.Decision, "decision", "", "decision id prefix")
	fl.BoolVar(&asJSON, "json", false, "one JSON record per line, for tools")
	fl.BoolVarP(&follow, "follow", "f", false, "keep reading records as they are appended")
	return cmd
}

type showWriter struct {
	json bool
	enc  *json.Encoder
	tw   *tabwriter.Writer
	head bool
}

func newShowWriter(w io.Writer, asJSON bool) *showWriter {
	return &showWriter{json: asJSON, enc: json.NewEncoder(w), tw: tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)}
}

func (s *showWriter) row(r *audit.Record, o *audit.Outcome) {
	if s.json {
		_ = s.enc.Encode(struct {
			*audit.Record
			Joined *audit.Outcome `json:"joined_outcome,omitempty"`
		}{r, o})
		return
	}
	if !s.head {
		fmt.Fprintln(s.tw, "TIME\tDECISION\tCLIENT\tENDPOINT\tRESULT\tSTATUS\tIMAGE\tDETAIL")
		s.head = true
	}
	if r.Type == audit.TypeOutcome {
		fmt.Fprintf(s.tw, "%s\t%s\t\t%s\toutcome\t%d\t\t%s %.1fms %dB\n", r.Timestamp.Local().Format("2006-01-02 15:04:05"),
			short(r.DecisionID), r.Endpoint, r.Outcome.Status, r.Outcome.ObjectID, r.Outcome.DurationMS, r.Outcome.Bytes)
		return
	}
	result, status, detail := "allow", "", r.RequestPath
	if r.Result != nil && !r.Result.Allow {
		result, detail = "DENY", strings.Join(r.Result.Reasons, "; ")
		status = fmt.Sprint(r.Result.Status)
	}
	if o != nil {
		status = fmt.Sprint(o.Status)
		if o.ObjectID != "" {
			detail += " -> " + short(o.ObjectID)
		}
	}
	fmt.Fprintf(s.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Timestamp.Local().Format("2006-01-02 15:04:05"), short(r.DecisionID),
		audit.ClientName(r.Client), r.Endpoint, result, status, audit.ImageOf(r), detail)
}

func (s *showWriter) flush() { s.tw.Flush() }

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func auditSummaryCmd() *cobra.Command {
	var htmlOut string
	cmd := &cobra.Command{
		Use:   "summary FILE...",
		Short: "Counts by endpoint, decision, client and image, top deny reasons, requests over time",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, files []string) error {
			s, err := audit.Summarize(files)
			if err != nil {
				return err
			}
			s.WriteText(os.Stdout)
			if htmlOut == "" {
				return nil
			}
			f, err := os.Create(htmlOut)
			if err != nil {
				return err
			}
			if err := s.WriteHTML(f); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
	}
	cmd.Flags().StringVar(&htmlOut, "html", "", "also write a self-contained HTML page here")
	return cmd
}

func auditVerifyCmd() *cobra.Command {
	var head string
	cmd := &cobra.Command{
		Use:   "verify FILE...",
		Short: "Check the hash chain (files oldest first); exit 0 when it holds",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, files []string) error {
			r, err := audit.Verify(files, head)
			if err != nil {
				return err
			}
			for _, t := range r.Torn {
				fmt.Printf("note: %s\n", t)
			}
			if !r.OK() {
				fmt.Printf("TAMPERED: %s\n", r.Broken)
				return &exitError{1, fmt.Errorf("the audit chain is broken at %s:%d (%s)", r.Broken.File, r.Broken.Line, r.Broken.Kind)}
			}
			fmt.Printf("ok: %d records, seq %d to %d, head %s\n", r.Records, r.FirstSeq, r.LastSeq, r.Head)
			return nil
		},
	}
	cmd.Flags().StringVar(&head, "head", "", "a chain head hash recorded earlier (xcsproxy logs it at rotation and shutdown); the log must reach it")
	return cmd
}
