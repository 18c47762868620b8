package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stratus-run/stratus/internal/metering"
)

// usageCmd is `stratus usage`: it asks a server for the usage and cost of a
// period and prints them, one line per function, or the server's JSON.
func usageCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stratus usage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", "http://127.0.0.1:4566", "Stratus endpoint URL")
	month := fs.String("month", "", "a calendar month, yyyy-mm (UTC)")
	start := fs.String("start", "", "period start, RFC 3339 or yyyy-mm-dd (UTC); default the first of this month")
	end := fs.String("end", "", "period end, exclusive, RFC 3339 or yyyy-mm-dd (UTC); default now")
	function := fs.String("function", "", "only this function's line (the free tier stays account-wide)")
	freeTier := fs.Bool("free-tier", true, "credit the monthly free tier")
	output := fs.String("output", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *output != "text" && *output != "json" {
		return fmt.Errorf("--output must be text or json, not %q", *output)
	}
	if *month != "" && (*start != "" || *end != "") {
		return errors.New("give either --month or --start/--end, not both")
	}
	q := url.Values{}
	for k, v := range map[string]string{"month": *month, "start": *start, "end": *end, "function": *function} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("free-tier", strconv.FormatBool(*freeTier))
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(*endpoint, "/")+metering.Path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("%s answered HTTP %d", *endpoint, resp.StatusCode)
	}
	if *output == "json" {
		_, err := stdout.Write(body)
		return err
	}
	var r metering.Response
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s: unreadable usage: %w", *endpoint, err)
	}
	printUsage(stdout, &r)
	return nil
}

// printUsage writes one whitespace-separated line per function, then one per
// month and a total, so awk can pick columns.
func printUsage(w io.Writer, r *metering.Response) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "# %s to %s, billing granularity %s, free tier %t, USD\n",
		r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), r.BillingGranularity, r.FreeTier)
	fmt.Fprintln(tw, "FUNCTION\tREGION\tARCH\tREQUESTS\tERRORS\tBILLED_MS\tGB_SECONDS\tGROSS")
	for _, f := range r.Functions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", f.Function, f.Region, f.Architecture,
			f.Requests, f.Errors, f.BilledMs, num(f.GBSeconds), usd(f.Cost))
	}
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MONTH\tREQUESTS\tGB_SECONDS\tGROSS\tFREE_TIER\tNET")
	for _, m := range r.Months {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", m.Month, m.Requests, num(m.GBSeconds), usd(m.GrossCost), usd(-m.FreeTierCredit), usd(m.NetCost))
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%s\t%s\t%s\t%s\n", r.Requests, num(r.GBSeconds), usd(r.GrossCost), usd(-r.FreeTierCredit), usd(r.NetCost))
	tw.Flush()
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// usd shows a cost to a hundred-millionth of a dollar: one 1 ms, 128 MB invoke
// costs about two millionths of a cent in duration.
func usd(f float64) string {
	if f == 0 {
		return "0"
	}
	return strconv.FormatFloat(f, 'f', 10, 64)
}
