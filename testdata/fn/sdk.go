package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

var (
	sdkOnce sync.Once
	sdkLC   *lambda.Client
	sdkLogs *cloudwatchlogs.Client
	sdkErr  error
)

// sdkClients are made once and reused, as AWS advises for a function's clients: a
// client per invocation would leave its keep-alive connection open each time.
func sdkClients(ctx context.Context) (*lambda.Client, *cloudwatchlogs.Client, error) {
	sdkOnce.Do(func() {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			sdkErr = err
			return
		}
		sdkLC, sdkLogs = lambda.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)
	})
	return sdkLC, sdkLogs, sdkErr
}

// sdkEvent is the event of the "sdk" mode: make the listed AWS API calls in order,
// each through an SDK client built the plain way, as a function's own code does.
type sdkEvent struct {
	Calls []struct {
		Op   string // ListFunctions, GetFunction, Invoke, DescribeLogGroups
		Name string // the function GetFunction and Invoke name
	}
}

type sdkResult struct {
	Op        string `json:"op"`
	Status    int    `json:"status"`
	RequestID string `json:"requestId"`
	Error     string `json:"error,omitempty"`
}

func sdkCalls(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev sdkEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	lc, logs, err := sdkClients(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"endpoint": os.Getenv("AWS_ENDPOINT_URL")}
	var results []sdkResult
	for _, c := range ev.Calls {
		var meta middleware.Metadata
		var err error
		switch c.Op {
		case "ListFunctions":
			var o *lambda.ListFunctionsOutput
			if o, err = lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err == nil {
				meta = o.ResultMetadata
			}
		case "GetFunction":
			var o *lambda.GetFunctionOutput
			if o, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(c.Name)}); err == nil {
				meta = o.ResultMetadata
			}
		case "Invoke":
			var o *lambda.InvokeOutput
			if o, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(c.Name), Payload: []byte(`{}`)}); err == nil {
				meta = o.ResultMetadata
			}
		case "DescribeLogGroups":
			var o *cloudwatchlogs.DescribeLogGroupsOutput
			if o, err = logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); err == nil {
				meta = o.ResultMetadata
			}
		default:
			return nil, errors.New("sdk: unknown operation " + c.Op)
		}
		r := sdkResult{Op: c.Op, Status: 200}
		r.RequestID, _ = awsmw.GetRequestIDMetadata(meta)
		if err != nil {
			r.Error = err.Error()
			var re *smithyhttp.ResponseError
			if errors.As(err, &re) {
				r.Status = re.HTTPStatusCode()
			}
			var rid interface{ ServiceRequestID() string }
			if errors.As(err, &rid) {
				r.RequestID = rid.ServiceRequestID()
			}
		}
		results = append(results, r)
	}
	out["calls"] = results
	return out, nil
}
