package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	v2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// RespondFunction answers with the body of the proxy event it gets: through an
// HTTP API (payload 2.0, the bare-body shortcut) it echoes the request body, and
// invoked directly with {"body": payload} it returns the payload. Both paths hand
// the client the same bytes from the same function.
const RespondFunction = "bench-respond"

// HTTPAPI is an HTTP API quick-created in front of RespondFunction.
type HTTPAPI struct {
	ID   string
	Host string // {id}.execute-api.localhost:{port}
}

// CreateHTTPAPI creates RespondFunction and an HTTP API in front of it, and calls
// both once so the function is warm.
func (r *Rig) CreateHTTPAPI(ctx context.Context) (*HTTPAPI, error) {
	fn, err := r.Admin.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(RespondFunction),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("respond"),
		Role:         aws.String(role),
		Code:         &types.FunctionCode{ZipFile: r.Zip},
	})
	if err != nil {
		return nil, fmt.Errorf("bench: create %s: %w", RespondFunction, err)
	}
	gw := apigatewayv2.New(apigatewayv2.Options{
		BaseEndpoint: aws.String(r.Stratus.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBENCH", "bench-secret", ""),
		Retryer:      aws.NopRetryer{},
	})
	api, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("bench"), ProtocolType: v2types.ProtocolTypeHttp,
		Target: fn.FunctionArn})
	if err != nil {
		return nil, fmt.Errorf("bench: create HTTP API: %w", err)
	}
	u, err := url.Parse(r.Stratus.URL)
	if err != nil {
		return nil, err
	}
	a := &HTTPAPI{ID: *api.ApiId, Host: *api.ApiId + ".execute-api.localhost:" + u.Port()}
	if err := r.APICaller(NewHTTPClient(1), a)(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// APICaller POSTs Payload through the HTTP API, as a browser or mobile client
// would, and checks that the payload comes back.
func (r *Rig) APICaller(hc *http.Client, a *HTTPAPI) Caller {
	return r.postCaller(hc, r.Stratus.URL+"/items", a.Host)
}

// RespondInvokeCaller invokes RespondFunction directly through the SDK with an
// event whose body is Payload, and checks that the payload comes back: the
// baseline of APICaller.
func (r *Rig) RespondInvokeCaller(lc *lambda.Client) Caller {
	ev, _ := json.Marshal(map[string]string{"body": string(r.Payload)})
	in := &lambda.InvokeInput{FunctionName: aws.String(RespondFunction), Payload: ev}
	return func(ctx context.Context) error {
		out, err := lc.Invoke(ctx, in)
		if err != nil {
			return fmt.Errorf("bench: invoke %s: %w", RespondFunction, err)
		}
		return r.checkEcho(RespondFunction, out)
	}
}

// RespondInvokeHTTPCaller is RespondInvokeCaller as a plain, unsigned POST to the
// Invoke URL: the direct invoke without the SDK's client-side signing, the
// fairest baseline of APICaller (which signs nothing either).
func (r *Rig) RespondInvokeHTTPCaller(hc *http.Client) Caller {
	ev, _ := json.Marshal(map[string]string{"body": string(r.Payload)})
	target := r.Stratus.URL + "/2015-03-31/functions/" + RespondFunction + "/invocations"
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(ev))
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, r.Payload) {
			return fmt.Errorf("bench: invoke %s: HTTP %d %.200q, want the payload back", RespondFunction, resp.StatusCode, body)
		}
		return nil
	}
}
