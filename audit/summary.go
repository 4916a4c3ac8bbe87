package audit

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"
)

// Count is one row of a summary table.
type Count struct {
	Key string
	N   int
}

// Summary is what `audit summary` reports over a set of decision records.
type Summary struct {
	Decisions  int
	Allowed    int
	Denied     int
	Outcomes   int
	First      time.Time
	Last       time.Time
	ByEndpoint []Count
	ByDecision []Count
	ByClient   []Count
	ByImage    []Count
	TopReasons []Count
	PerMinute  []Count // "2006-01-02 15:04" buckets, in time order
}

// Summarize reads files and counts their decisions.
func Summarize(files []string) (*Summary, error) {
	s := &Summary{}
	endpoint, decision, client, image, reasons, minute := counter{}, counter{}, counter{}, counter{}, counter{}, counter{}
	err := Read(files, func(r *Record) error {
		if r.Type == TypeOutcome {
			s.Outcomes++
			return nil
		}
		s.Decisions++
		if s.First.IsZero() || r.Timestamp.Before(s.First) {
			s.First = r.Timestamp
		}
		if r.Timestamp.After(s.Last) {
			s.Last = r.Timestamp
		}
		endpoint[r.Endpoint]++
		client[ClientName(r.Client)]++
		if img := ImageOf(r); img != "" {
			image[img]++
		}
		minute[r.Timestamp.UTC().Format("2006-01-02 15:04")]++
		if r.Result != nil && r.Result.Allow {
			s.Allowed++
			decision["allow"]++
		} else {
			s.Denied++
			decision["deny"]++
			if r.Result != nil {
				for _, reason := range r.Result.Reasons {
					reasons[reason]++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.ByEndpoint, s.ByDecision, s.ByClient, s.ByImage = endpoint.sorted(0), decision.sorted(0), client.sorted(0), image.sorted(0)
	s.TopReasons = reasons.sorted(10)
	s.PerMinute = minute.byKey()
	return s, nil
}

type counter map[string]int

// sorted lists counts, largest first (ties by key); limit 0 keeps all.
func (c counter) sorted(limit int) []Count {
	out := make([]Count, 0, len(c))
	for k, n := range c {
		out = append(out, Count{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func (c counter) byKey() []Count {
	out := c.sorted(0)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// WriteText prints the summary for people.
func (s *Summary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "decisions: %d (allowed %d, denied %d), outcomes: %d\n", s.Decisions, s.Allowed, s.Denied, s.Outcomes)
	if !s.First.IsZero() {
		fmt.Fprintf(w, "from %s to %s\n", s.First.UTC().Format(time.RFC3339), s.Last.UTC().Format(time.RFC3339))
	}
	for _, sec := range []struct {
		title string
		rows  []Count
	}{
		{"by decision", s.ByDecision}, {"by endpoint", s.ByEndpoint}, {"by client", s.ByClient},
		{"by image", s.ByImage}, {"top deny reasons", s.TopReasons}, {"requests per minute", s.PerMinute},
	} {
		if len(sec.rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", sec.title)
		for _, r := range sec.rows {
			fmt.Fprintf(w, "  %7d  %s\n", r.N, r.Key)
		}
	}
}

// WriteHTML writes one self-contained page: inline CSS and SVG, no scripts,
// no external assets.
func (s *Summary) WriteHTML(w io.Writer) error {
	return page.Execute(w, s)
}

type bar struct {
	Label string
	N     int
	Width float64
	Y     int
}

func bars(rows []Count) []bar {
	maxN := 1
	for _, r := range rows {
		maxN = max(maxN, r.N)
	}
	out := make([]bar, len(rows))
	for i, r := range rows {
		out[i] = bar{Label: r.Key, N: r.N, Width: 400 * float64(r.N) / float64(maxN), Y: i * 22}
	}
	return out
}

var page = template.Must(template.New("summary").Funcs(template.FuncMap{
	"bars":   bars,
	"height": func(rows []Count) int { return len(rows)*22 + 4 },
	"when":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"short": func(s string) string {
		if len(s) > 90 {
			return s[:90] + "…"
		}
		return s
	},
	"join": strings.Join,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>xcsproxy audit summary</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #eee}
td.n{text-align:right;font-variant-numeric:tabular-nums}
svg text{font:12px system-ui,sans-serif}
.deny{color:#a40000}
</style></head><body>
<h1>xcsproxy audit summary</h1>
<p>{{.Decisions}} decisions: {{.Allowed}} allowed, <span class="deny">{{.Denied}} denied</span>; {{.Outcomes}} forwarded requests with outcomes.
{{if not .First.IsZero}}From {{when .First}} to {{when .Last}}.{{end}}</p>
{{define "chart"}}<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="{{height .}}" role="img">
{{range bars .}}<g transform="translate(0,{{.Y}})"><text x="0" y="15">{{short .Label}}</text><rect x="520" y="3" width="{{printf "%.1f" .Width}}" height="16" fill="#3b6ea5"></rect><text x="{{printf "%.1f" .Width}}" dx="526" y="15">{{.N}}</text></g>
{{end}}</svg>{{end}}
<h2>By decision</h2>{{template "chart" .ByDecision}}
<h2>By endpoint</h2>{{template "chart" .ByEndpoint}}
<h2>By client</h2>{{template "chart" .ByClient}}
{{if .ByImage}}<h2>By image</h2>{{template "chart" .ByImage}}{{end}}
{{if .TopReasons}}<h2>Top deny reasons</h2><table>{{range .TopReasons}}<tr><td class="n">{{.N}}</td><td>{{.Key}}</td></tr>{{end}}</table>{{end}}
<h2>Requests per minute</h2>{{template "chart" .PerMinute}}
</body></html>
`))
