// Command hello-go is a Lambda function for the provided.al2023 runtime, built with
// aws-lambda-go exactly as for AWS: it greets the name in its event with the
// GREETING from its environment.
//
//	GOOS=linux CGO_ENABLED=0 go build -o bootstrap ./examples/hello-go && zip fn.zip bootstrap
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Name string `json:"name"`
}

type response struct {
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
}

func handle(ctx context.Context, ev event) (response, error) {
	if ev.Name == "" {
		return response{}, fmt.Errorf("no name in the event")
	}
	lc, _ := lambdacontext.FromContext(ctx)
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "hello"
	}
	log.Printf("greeting %s", ev.Name) // lands in the function's log, as on AWS
	return response{Message: greeting + ", " + ev.Name, RequestID: lc.AwsRequestID}, nil
}

func main() { lambda.Start(handle) }
