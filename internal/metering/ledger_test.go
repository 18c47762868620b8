package metering

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/store"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st := &store.Store{Dir: dir}
	if err := st.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func openLedger(t *testing.T, st *store.Store) *Ledger {
	t.Helper()
	l := &Ledger{JS: st.JetStream()}
	if err := l.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return l
}

// usages makes n invocations spread over the last two hours of October and the
// first two of November 2026, over three functions and both architectures.
func usages(n int) []*invoke.Usage {
	rng := rand.New(rand.NewSource(1))
	base := time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC)
	out := make([]*invoke.Usage, n)
	for i := range out {
		fn := fmt.Sprintf("fn-%d", i%3)
		arch := "x86_64"
		if i%3 == 2 {
			arch = "arm64"
		}
		out[i] = &invoke.Usage{RequestID: fmt.Sprint(i), Region: "us-east-1", Function: fn, Version: "$LATEST",
			Architecture: arch, MemoryMB: 128 << (i % 4), Start: base.Add(time.Duration(rng.Int63n(int64(4 * time.Hour)))),
			Duration: time.Duration(rng.Int63n(int64(time.Second))), Billed: time.Duration(1+rng.Intn(1000)) * time.Millisecond,
			Outcome: []invoke.Outcome{invoke.OutcomeOK, invoke.OutcomeError, invoke.OutcomeTimeout}[i%3], ColdStart: i%5 == 0}
	}
	return out
}

// bruteSum is what Sum must return: every record in [start, end) added up.
func bruteSum(us []*invoke.Usage, start, end time.Time) Usage {
	out := Usage{}
	for _, u := range us {
		if !u.Start.Before(start) && u.Start.Before(end) {
			r := recordOf(u)
			k := Key{r.Region, r.Function, r.Arch}
			a := out[k]
			a.add(&r)
			out[k] = a
		}
	}
	return out
}

func TestLedgerSumsAnyPeriodAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	l := openLedger(t, st)
	us := usages(3000)
	for _, u := range us {
		l.Metered(u)
	}
	ctx := context.Background()
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	periods := [][2]time.Time{
		{at("2026-10-01T00:00:00Z"), at("2026-12-01T00:00:00Z")}, // whole months
		{at("2026-10-31T22:00:00Z"), at("2026-11-01T02:00:00Z")}, // whole hours
		{at("2026-10-31T22:17:03Z"), at("2026-11-01T01:42:00Z")}, // ragged both ends
		{at("2026-10-31T23:10:00Z"), at("2026-10-31T23:20:00Z")}, // inside one hour
		{at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z")}, // one day
		{at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z")}, // nothing
	}
	check := func(l *Ledger) {
		t.Helper()
		for _, p := range periods {
			got, err := l.Sum(ctx, p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			if want := bruteSum(us, p[0], p[1]); !reflect.DeepEqual(got, want) {
				t.Errorf("Sum(%s, %s) =\n%v\nwant\n%v", p[0], p[1], got, want)
			}
		}
	}
	check(l)

	// Records metered just before a clean stop are not lost, nor counted twice.
	more := usages(3100)[3000:]
	for _, u := range more {
		l.Metered(u)
	}
	us = append(us, more...)
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close(ctx) //nolint:errcheck
	st = openStore(t, dir)
	defer st.Close(ctx) //nolint:errcheck
	l = openLedger(t, st)
	defer l.Close(ctx) //nolint:errcheck
	check(l)

	// A message rolled up again (as after a crash between rollup and ack) changes nothing.
	before, _ := l.Sum(ctx, periods[0][0], periods[0][1])
	info, _ := l.stream.Info(ctx)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		raw, err := l.stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := decodeBatch(raw.Data)
		sums := Usage{}
		for i := range rs {
			k := Key{rs[i].Region, rs[i].Function, rs[i].Arch}
			a := sums[k]
			a.add(&rs[i])
			sums[k] = a
		}
		for k, a := range sums {
			if err := l.addRollup(ctx, rollupKey(raw.Subject[len(subjectRoot):], k), seq, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	after, _ := l.Sum(ctx, periods[0][0], periods[0][1])
	if !reflect.DeepEqual(before, after) {
		t.Errorf("reapplying changed the rollups:\n%v\n%v", before, after)
	}
}

func TestReportSplitsMonths(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close(context.Background()) //nolint:errcheck
	l := openLedger(t, st)
	defer l.Close(context.Background()) //nolint:errcheck
	us := usages(600)
	for _, u := range us {
		l.Metered(u)
	}
	start := time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)
	end := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	b, err := l.Report(context.Background(), &LambdaPrices, start, end, true)
	if err != nil {
		t.Fatal(err)
	}
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	want := LambdaPrices.Price([]MonthUsage{
		{Month: "2026-10", Before: bruteSum(us, oct, start), During: bruteSum(us, start, nov)},
		{Month: "2026-11", Before: Usage{}, During: bruteSum(us, nov, end)},
	}, true)
	if !reflect.DeepEqual(b, want) {
		t.Errorf("Report =\n%+v\nwant\n%+v", b, want)
	}
	if len(b.Months) != 2 || b.Months[0].Month != "2026-10" || b.Months[1].Month != "2026-11" {
		t.Errorf("months %+v", b.Months)
	}
}

func TestCover(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	f, r := cover(at("2026-10-30T22:30:00Z"), at("2026-12-02T01:15:00Z"))
	wantF := []string{"2026.10.30.23.>", "2026.10.31.>", "2026.11.>", "2026.12.01.>", "2026.12.02.00.>"}
	wantR := []time.Time{at("2026-10-30T22:00:00Z"), at("2026-12-02T01:00:00Z")}
	if !reflect.DeepEqual(f, wantF) || !reflect.DeepEqual(r, wantR) {
		t.Errorf("cover = %v %v", f, r)
	}
}
