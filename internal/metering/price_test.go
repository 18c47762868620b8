package metering

import (
	"math"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/invoke"
)

// agg builds the rollup of n invocations of billedMs each at memMB.
func agg(n, billedMs, memMB int64) Agg {
	return Agg{Requests: n, BilledMs: n * billedMs, MBMillis: n * billedMs * memMB}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.12f, want %.12f", what, got, want)
	}
}

var fnX86 = Key{"us-east-1", "f", "x86_64"}
var fnArm = Key{"us-east-1", "f", "arm64"}

// One 1.2 ms invocation at 128 MB, the way the engine bills it, then priced.
func TestGranularityWorkedExample(t *testing.T) {
	for _, tc := range []struct {
		granularity time.Duration
		billedMs    int64
		// GB-s = billed s × 128/1024 GB; cost = GB-s × $0.0000166667 + 1 × $0.20/1e6.
		gbs, cost float64
	}{
		// ceil(1.2 ms) = 2 ms: 0.002 s × 0.125 GB = 0.00025 GB-s;
		// 0.00025 × 0.0000166667 = 0.00000000416667500; + 0.0000002 = 0.000000204166675.
		{time.Millisecond, 2, 0.00025, 0.000000204166675},
		// ceil to 100 ms: 0.1 s × 0.125 GB = 0.0125 GB-s;
		// 0.0125 × 0.0000166667 = 0.00000020833375; + 0.0000002 = 0.00000040833375.
		{100 * time.Millisecond, 100, 0.0125, 0.00000040833375},
	} {
		billed := invoke.BilledDuration(1200*time.Microsecond, 0, tc.granularity)
		if billed != time.Duration(tc.billedMs)*time.Millisecond {
			t.Fatalf("granularity %s: billed %s, want %d ms", tc.granularity, billed, tc.billedMs)
		}
		a := agg(1, tc.billedMs, 128)
		near(t, "GB-s", a.GBSeconds(), tc.gbs)
		b := LambdaPrices.Price([]MonthUsage{{Month: "2026-11", During: Usage{fnX86: a}}}, false)
		near(t, "cost", b.Functions[0].Cost, tc.cost)
		near(t, "net", b.NetCost, tc.cost)
	}
	// Init is billed with the invocation: 1.2 ms + 45.3 ms init = 46.5 ms → 47 ms.
	if got := invoke.BilledDuration(1200*time.Microsecond, 45300*time.Microsecond, time.Millisecond); got != 47*time.Millisecond {
		t.Errorf("billed with init = %s, want 47ms", got)
	}
}

// AWS's own pricing-page style example: 3,000,000 requests of 1 s at 512 MB.
func TestFreeTierWorkedExample(t *testing.T) {
	// GB-s = 3,000,000 × 1 s × 0.5 GB = 1,500,000.
	// Requests: 3 × $0.20 = $0.60. Free tier: 1,000,000 requests = $0.20,
	// 400,000 GB-s at the first tier.
	for _, tc := range []struct {
		key                  Key
		gross, credit, net   float64
		freeTier             bool
		wantFreeReq, wantFGB float64
	}{
		// x86: 1,500,000 × 0.0000166667 = 25.00005; gross 25.60005.
		// credit 0.20 + 400,000 × 0.0000166667 (6.66668) = 6.86668; net 18.73337.
		{fnX86, 25.60005, 6.86668, 18.73337, true, 1e6, 4e5},
		// arm64: 1,500,000 × 0.0000133334 = 20.0001; gross 20.6001.
		// credit 0.20 + 400,000 × 0.0000133334 (5.33336) = 5.53336; net 15.06674.
		{fnArm, 20.6001, 5.53336, 15.06674, true, 1e6, 4e5},
		// Without the free tier the net is the gross.
		{fnX86, 25.60005, 0, 25.60005, false, 0, 0},
	} {
		b := LambdaPrices.Price([]MonthUsage{{Month: "2026-11", During: Usage{tc.key: agg(3_000_000, 1000, 512)}}}, tc.freeTier)
		near(t, tc.key.Architecture+" GB-s", b.GBSeconds, 1_500_000)
		near(t, tc.key.Architecture+" gross", b.GrossCost, tc.gross)
		near(t, tc.key.Architecture+" function gross", b.Functions[0].Cost, tc.gross)
		near(t, tc.key.Architecture+" credit", b.FreeTierCredit, tc.credit)
		near(t, tc.key.Architecture+" net", b.NetCost, tc.net)
		near(t, "free requests", float64(b.Months[0].FreeRequests), tc.wantFreeReq)
		near(t, "free GB-s", b.Months[0].FreeGBSeconds, tc.wantFGB)
	}
}

// A month that crosses the 6-billion GB-s tier, priced in the period after 5 billion
// GB-s were already used earlier in the month.
func TestTierCrossingWorkedExample(t *testing.T) {
	// 5e9 GB-s before: 10,000,000 requests × 1,000,000 ms (scaled) is awkward, so
	// express GB-s directly: MBMillis = GB-s × 1024 × 1000.
	gbAgg := func(gbs float64) Agg { return Agg{MBMillis: int64(gbs * 1024 * 1000)} }
	for _, tc := range []struct {
		name           string
		key            Key
		before, during float64
		want           float64
	}{
		// x86: 1e9 at 0.0000166667 (16,666.7) + 1e9 at 0.000015 (15,000) = 31,666.7.
		{"x86 6e9", fnX86, 5e9, 2e9, 31666.7},
		// arm64's first tier ends at 7.5e9: 5e9 + 2e9 stays in it,
		// 2e9 × 0.0000133334 = 26,666.8.
		{"arm below 7.5e9", fnArm, 5e9, 2e9, 26666.8},
		// 7e9 before, 1e9 during: 0.5e9 × 0.0000133334 (6,666.7)
		// + 0.5e9 × 0.0000120001 (6,000.05) = 12,666.75.
		{"arm 7.5e9", fnArm, 7e9, 1e9, 12666.75},
		// arm64 across both from zero, 20e9: 7.5e9 × 0.0000133334 (100,000.5)
		// + 11.25e9 × 0.0000120001 (135,001.125) + 1.25e9 × 0.0000106667 (13,333.375)
		// = 248,335.0.
		{"arm 20e9", fnArm, 0, 20e9, 248335.0},
		// x86 across both thresholds from zero: 6e9 × 0.0000166667 (100,000.2)
		// + 9e9 × 0.000015 (135,000) + 1e9 × 0.0000133334 (13,333.4) = 248,333.6.
		{"x86 16e9", fnX86, 0, 16e9, 248333.6},
	} {
		mu := MonthUsage{Month: "2026-11", During: Usage{tc.key: gbAgg(tc.during)}}
		if tc.before > 0 {
			mu.Before = Usage{tc.key: gbAgg(tc.before)}
		}
		b := LambdaPrices.Price([]MonthUsage{mu}, true)
		near(t, tc.name+" gross", b.GrossCost, tc.want)
		// The free tier was used up earlier in the month when there was usage before.
		if tc.before > 0 {
			near(t, tc.name+" credit", b.FreeTierCredit, 0)
		}
	}
}

// A period over two months gets each month's free tier; one month would not.
func TestTwoMonthsWorkedExample(t *testing.T) {
	// Each month: 800,000 requests of 750 ms at 512 MB = 800,000 × 0.375 GB-s
	// = 300,000 GB-s; gross 0.16 + 300,000 × 0.0000166667 (5.00001) = 5.16001.
	// Each month is inside its own free tier (1M requests, 400,000 GB-s): net 0.
	month := Usage{fnX86: agg(800_000, 750, 512)}
	b := LambdaPrices.Price([]MonthUsage{{Month: "2026-10", During: month}, {Month: "2026-11", During: month}}, true)
	near(t, "gross", b.GrossCost, 10.32002)
	near(t, "function gross", b.Functions[0].Cost, 10.32002)
	near(t, "credit", b.FreeTierCredit, 10.32002)
	near(t, "net", b.NetCost, 0)
	if len(b.Months) != 2 || b.Functions[0].Requests != 1_600_000 {
		t.Fatalf("months %+v functions %+v", b.Months, b.Functions)
	}
	// The same usage in one month: 1.6M requests, 600,000 GB-s. Net is
	// 600,000 requests × 0.20/1e6 (0.12) + 200,000 × 0.0000166667 (3.33334) = 3.45334.
	one := LambdaPrices.Price([]MonthUsage{{Month: "2026-11", During: Usage{fnX86: agg(1_600_000, 750, 512)}}}, true)
	near(t, "one month net", one.NetCost, 3.45334)

	// Usage earlier in the month than the period uses up the free tier first:
	// 900,000 requests and 350,000 GB-s before leave 100,000 requests (0.02) and
	// 50,000 GB-s (0.833335) free for a period of 800,000 × 750 ms × 512 MB.
	part := LambdaPrices.Price([]MonthUsage{{Month: "2026-11",
		Before: Usage{fnX86: Agg{Requests: 900_000, MBMillis: 350_000 * 1024 * 1000}}, During: month}}, true)
	near(t, "partial credit", part.FreeTierCredit, 0.02+0.833335)
	near(t, "partial net", part.NetCost, 5.16001-0.853335)
}
