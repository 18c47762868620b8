package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// hopEvent is the event of the "chain" mode: invoke Next[0] with the rest of the
// chain, as a function calling a function does, through an SDK client built the
// plain way (config.LoadDefaultConfig: the endpoint and credentials come from the
// environment Stratus gives the function), once per environment (sdkClients).
type hopEvent struct {
	Next  []string `json:"next"`
	Async bool     `json:"async,omitempty"` // invoke the next hop with InvocationType Event
	Tag   string   `json:"tag,omitempty"`   // carried along the chain
	// IDs are the request ids of the hops before, carried along the chain.
	IDs []string `json:"ids,omitempty"`
	// File, when set, is where the last hop appends its result: after an
	// asynchronous hop, nobody waits for the answer.
	File string `json:"file,omitempty"`
}

type hopResult struct {
	Function       string          `json:"function"`
	RequestID      string          `json:"requestId"`
	TraceID        string          `json:"traceId"`
	Tag            string          `json:"tag,omitempty"`
	IDs            []string        `json:"ids,omitempty"`
	ChildRequestID string          `json:"childRequestId,omitempty"`
	ChildStatus    int32           `json:"childStatus,omitempty"`
	Child          json.RawMessage `json:"child,omitempty"`
}

func chain(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev hopEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	lc, _ := lambdacontext.FromContext(ctx)
	res := hopResult{Function: lambdacontext.FunctionName, RequestID: lc.AwsRequestID, TraceID: os.Getenv("_X_AMZN_TRACE_ID"), Tag: ev.Tag, IDs: ev.IDs}
	if len(ev.Next) == 0 {
		if ev.File != "" {
			return res, appendLine(ev.File, res)
		}
		return res, nil
	}
	lc2, _, err := sdkClients(ctx)
	if err != nil {
		return nil, err
	}
	next, _ := json.Marshal(hopEvent{Next: ev.Next[1:], Tag: ev.Tag, IDs: append(ev.IDs, lc.AwsRequestID), File: ev.File})
	in := &lambda.InvokeInput{FunctionName: aws.String(ev.Next[0]), Payload: next}
	if ev.Async {
		in.InvocationType = types.InvocationTypeEvent
	}
	out, err := lc2.Invoke(ctx, in)
	if err != nil {
		return nil, err
	}
	res.ChildRequestID, _ = awsmw.GetRequestIDMetadata(out.ResultMetadata)
	res.ChildStatus = out.StatusCode
	if len(out.Payload) > 0 {
		res.Child = out.Payload
	}
	return res, nil
}
