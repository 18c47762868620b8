package metering

import "sort"

// Tier is one step of a tiered price: PerGBSecond applies to monthly usage up to
// UpTo GB-seconds (0 for no limit), counted from the start of the month.
type Tier struct {
	UpTo        float64
	PerGBSecond float64
}

// Prices is a price list for Lambda's on-demand requests and duration.
type Prices struct {
	PerMillionRequests float64
	// Duration holds each architecture's tiers. AWS counts tiers per account,
	// region and architecture.
	Duration map[string][]Tier
	// FreeRequests and FreeGBSeconds are the monthly free tier, account-wide and
	// across architectures and regions.
	FreeRequests  int64
	FreeGBSeconds float64
}

// LambdaPrices are AWS's public Lambda prices (US East, N. Virginia): $0.20 per
// million requests; duration tiers at 6 and 15 billion GB-seconds a month on x86_64
// and at 7.5 and 18.75 billion on arm64 (AWS's "Introducing tiered pricing for AWS
// Lambda": the same spend buys 25 % more arm64 GB-seconds); the always-free tier of
// 1,000,000 requests and 400,000 GB-seconds a month.
var LambdaPrices = Prices{
	PerMillionRequests: 0.20,
	Duration: map[string][]Tier{
		"x86_64": {{6e9, 0.0000166667}, {15e9, 0.000015}, {0, 0.0000133334}},
		"arm64":  {{7.5e9, 0.0000133334}, {18.75e9, 0.0000120001}, {0, 0.0000106667}},
	},
	FreeRequests:  1_000_000,
	FreeGBSeconds: 400_000,
}

// durationCost is the price of a month's usage from from to to GB-seconds on arch.
func (p *Prices) durationCost(arch string, from, to float64) float64 {
	cost, lo := 0.0, 0.0
	for _, t := range p.Duration[arch] {
		hi := t.UpTo
		if hi == 0 {
			hi = to
		}
		a, b := max(from, lo), min(to, hi)
		if b > a {
			cost += (b - a) * t.PerGBSecond
		}
		lo = hi
		if lo >= to {
			break
		}
	}
	return cost
}

func (p *Prices) requestCost(n int64) float64 { return float64(n) * p.PerMillionRequests / 1e6 }

// MonthUsage is one calendar month's share of a period: what was used in the month
// before the period began (it moves tiers and uses up the free tier) and in it.
type MonthUsage struct {
	Month  string // yyyy-mm
	Before Usage
	During Usage
}

// FunctionCost is one function's usage in a period and its gross cost.
type FunctionCost struct {
	Key
	Agg
	GBSeconds float64 `json:"gbSeconds"`
	// Cost is the gross cost of the function's requests and duration, before the
	// account's free tier.
	Cost float64 `json:"cost"`
}

// MonthCost is the account's bill for the part of one month inside the period.
type MonthCost struct {
	Month          string  `json:"month"`
	Requests       int64   `json:"requests"`
	GBSeconds      float64 `json:"gbSeconds"`
	FreeRequests   int64   `json:"freeRequests"`
	FreeGBSeconds  float64 `json:"freeGBSeconds"`
	GrossCost      float64 `json:"grossCost"`
	FreeTierCredit float64 `json:"freeTierCredit"`
	NetCost        float64 `json:"netCost"`
}

// Bill is the priced usage of a period.
type Bill struct {
	Functions      []FunctionCost `json:"functions"`
	Months         []MonthCost    `json:"months"`
	Requests       int64          `json:"requests"`
	GBSeconds      float64        `json:"gbSeconds"`
	GrossCost      float64        `json:"grossCost"`
	FreeTierCredit float64        `json:"freeTierCredit"`
	NetCost        float64        `json:"netCost"`
}

// Price bills the months of a period. Per month and per region and architecture,
// the duration cost is the tiered price of the month's usage up to the end of the
// period less that up to its start, shared among functions by their GB-seconds.
// With freeTier, each month's free requests and GB-seconds not used before the
// period are credited at the request price and the first-tier duration price (of
// each architecture, in proportion to its GB-seconds in the period).
func (p *Prices) Price(months []MonthUsage, freeTier bool) Bill {
	var b Bill
	fns := map[Key]*FunctionCost{}
	for _, mu := range months {
		mc := MonthCost{Month: mu.Month}
		type group struct{ region, arch string }
		before, during := map[group]float64{}, map[group]float64{}
		var reqBefore, reqDuring int64
		var gbBefore float64
		for _, k := range sortedKeys(mu.Before) {
			a := mu.Before[k]
			before[group{k.Region, k.Architecture}] += a.GBSeconds()
			reqBefore += a.Requests
			gbBefore += a.GBSeconds()
		}
		groupCost := map[group]float64{}
		for k, a := range mu.During {
			during[group{k.Region, k.Architecture}] += a.GBSeconds()
			reqDuring += a.Requests
		}
		for g, gb := range during {
			groupCost[g] = p.durationCost(g.arch, before[g], before[g]+gb)
		}
		archGB := map[string]float64{}
		// In key order, so the sums of floats come out the same every time.
		for _, k := range sortedKeys(mu.During) {
			a := mu.During[k]
			g := group{k.Region, k.Architecture}
			gb := a.GBSeconds()
			cost := p.requestCost(a.Requests)
			if during[g] > 0 {
				cost += groupCost[g] * gb / during[g]
			}
			fc := fns[k]
			if fc == nil {
				fc = &FunctionCost{Key: k}
				fns[k] = fc
			}
			fc.Agg.merge(a)
			fc.Cost += cost
			mc.GrossCost += cost
			mc.GBSeconds += gb
			archGB[k.Architecture] += gb
		}
		mc.Requests = reqDuring
		if freeTier {
			mc.FreeRequests = min(reqBefore+reqDuring, p.FreeRequests) - min(reqBefore, p.FreeRequests)
			mc.FreeGBSeconds = min(gbBefore+mc.GBSeconds, p.FreeGBSeconds) - min(gbBefore, p.FreeGBSeconds)
			credit := p.requestCost(mc.FreeRequests)
			for _, arch := range []string{"arm64", "x86_64"} {
				gb := archGB[arch]
				if tiers := p.Duration[arch]; len(tiers) > 0 && mc.GBSeconds > 0 {
					credit += mc.FreeGBSeconds * gb / mc.GBSeconds * tiers[0].PerGBSecond
				}
			}
			mc.FreeTierCredit = min(credit, mc.GrossCost)
			if mc.FreeRequests == reqDuring && mc.FreeGBSeconds >= mc.GBSeconds {
				mc.FreeTierCredit = mc.GrossCost // all of it free, without float residue
			}
		}
		mc.NetCost = mc.GrossCost - mc.FreeTierCredit
		b.Months = append(b.Months, mc)
		b.Requests += mc.Requests
		b.GBSeconds += mc.GBSeconds
		b.GrossCost += mc.GrossCost
		b.FreeTierCredit += mc.FreeTierCredit
		b.NetCost += mc.NetCost
	}
	for _, fc := range fns {
		fc.GBSeconds = fc.Agg.GBSeconds()
		b.Functions = append(b.Functions, *fc)
	}
	sort.Slice(b.Functions, func(i, j int) bool { return b.Functions[i].Key.less(b.Functions[j].Key) })
	if b.Functions == nil {
		b.Functions = []FunctionCost{}
	}
	return b
}

func (k Key) less(o Key) bool {
	if k.Region != o.Region {
		return k.Region < o.Region
	}
	if k.Function != o.Function {
		return k.Function < o.Function
	}
	return k.Architecture < o.Architecture
}

func sortedKeys(u Usage) []Key {
	ks := make([]Key, 0, len(u))
	for k := range u {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].less(ks[j]) })
	return ks
}
