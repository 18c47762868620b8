package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// tmpResult is what testdata/fn's "tmp" mode reports.
type tmpResult struct {
	Entries  []string
	MB       int
	Error    string
	TmpBytes int64
}

func invokeTmp(t *testing.T, c *lambda.Client, name, payload string) tmpResult {
	t.Helper()
	out := invokeFn(t, c, name, payload)
	if out.FunctionError != nil {
		t.Fatalf("%s %s: %s", name, payload, out.Payload)
	}
	var got tmpResult
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("%s: %v: %s", name, err, out.Payload)
	}
	return got
}

// TestTmpIsDisk checks that /tmp is disk sized by EphemeralStorage, as on Lambda,
// not memory: a 128 MB function writes 300 MB there, writing past the size fails
// with ENOSPC, statfs shows the size, and every environment has a /tmp of its own,
// empty at its start. In containers created ahead of need and in containers of
// their own.
func TestTmpIsDisk(t *testing.T) {
	skipWithoutOCI(t)
	t.Parallel()
	for _, pool := range []string{"4", "0"} {
		t.Run("pool="+pool, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, "", "--sandbox", "oci", "--sandbox-pool", pool)
			c := ts.lambdaClient()
			withTmp := func(memMB, tmpMB int32) func(*lambda.CreateFunctionInput) {
				return func(in *lambda.CreateFunctionInput) {
					in.MemorySize = aws.Int32(memMB)
					in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(tmpMB)}
					in.Timeout = aws.Int32(30)
				}
			}
			createFn(t, c, "writer", "tmp", withTmp(128, 512))
			createFn(t, c, "big", "tmp", withTmp(128, 1024))

			// More than the function's memory: a tmpfs would be OOM-killed.
			got := invokeTmp(t, c, "writer", `{"MB":300,"Name":"a"}`)
			if got.MB != 300 || got.Error != "" || len(got.Entries) != 0 || got.TmpBytes != 512<<20 {
				t.Errorf("writing 300 MB to a new environment's 512 MB /tmp: %+v", got)
			}
			// Past the size: ENOSPC, and the function goes on.
			got = invokeTmp(t, c, "writer", `{"MB":600,"Name":"b"}`)
			if got.MB < 100 || got.MB > 212 || !strings.Contains(got.Error, "no space left on device") {
				t.Errorf("writing 600 MB to 512 MB holding 300: %+v", got)
			}
			got = invokeTmp(t, c, "writer", `{"MB":10,"Name":"c"}`)
			if got.Error != "" || !slices.Equal(got.Entries, []string{"a"}) {
				t.Errorf("after ENOSPC, the same environment: %+v", got)
			}

			// Another function's /tmp is its own, of its own size.
			got = invokeTmp(t, c, "big", `{"MB":1}`)
			if got.MB != 1 || got.Error != "" || len(got.Entries) != 0 || got.TmpBytes != 1024<<20 {
				t.Errorf("another function, 1024 MB: %+v", got)
			}

			// A new environment of the same function starts with an empty /tmp.
			if out := invokeFn(t, c, "writer", `{"Exit":true}`); out.FunctionError == nil {
				t.Fatalf("exit: %s", out.Payload)
			}
			got = invokeTmp(t, c, "writer", `{}`)
			if len(got.Entries) != 0 || got.TmpBytes != 512<<20 {
				t.Errorf("a new environment: %+v", got)
			}
		})
	}
}
