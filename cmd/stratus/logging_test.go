package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLoggingConfigJSON: LoggingConfig LogFormat JSON turns the platform lines into
// JSON system records and the runtime's logs into JSON with the request id, and
// the levels filter both; GetFunction reports the config as AWS does.
func TestLoggingConfigJSON(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	code := pyZip(t, map[string]string{"lambda_function.py": `import logging
logger = logging.getLogger()

def lambda_handler(event, context):
    logger.debug("too fine")
    logger.info("hello %s", event["name"])
    return "ok"
`})
	created, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("jsonlogs"), Runtime: types.RuntimePython312, Handler: aws.String("lambda_function.lambda_handler"),
		Role: aws.String(testRole), Code: &types.FunctionCode{ZipFile: code},
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatJson},
	})
	if err != nil {
		t.Fatal(err)
	}
	lc := created.LoggingConfig
	if lc.LogFormat != types.LogFormatJson || lc.ApplicationLogLevel != types.ApplicationLogLevelInfo ||
		lc.SystemLogLevel != types.SystemLogLevelInfo || aws.ToString(lc.LogGroup) != "/aws/lambda/jsonlogs" {
		t.Errorf("LoggingConfig %+v", lc)
	}
	out := invokeFn(t, c, "jsonlogs", `{"name":"x"}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
	tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	var types_ []string
	var appMessage, requestID string
	for _, line := range strings.Split(strings.TrimSpace(string(tail)), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if typ, ok := rec["type"].(string); ok {
			types_ = append(types_, typ)
			if typ == "platform.start" {
				requestID, _ = rec["record"].(map[string]any)["requestId"].(string)
			}
			continue
		}
		if rec["level"] == "DEBUG" {
			t.Errorf("DEBUG line logged at level INFO: %q", line)
		}
		if rec["level"] == "INFO" {
			appMessage, _ = rec["message"].(string)
			if rec["requestId"] != requestID {
				t.Errorf("app log requestId %v, want %s", rec["requestId"], requestID)
			}
		}
	}
	if strings.Join(types_, ",") != "platform.start,platform.report" || appMessage != "hello x" {
		t.Errorf("records %v, app message %q\n%s", types_, appMessage, tail)
	}

	// SystemLogLevel WARN silences the platform records; Text with levels is refused.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("jsonlogs"),
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatJson, SystemLogLevel: types.SystemLogLevelWarn}}); err != nil {
		t.Fatal(err)
	}
	out = invokeFn(t, c, "jsonlogs", `{"name":"y"}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
	tail, _ = base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if strings.Contains(string(tail), "platform.") || !strings.Contains(string(tail), "hello y") {
		t.Errorf("with SystemLogLevel WARN:\n%s", tail)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("jsonlogs"),
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText, ApplicationLogLevel: types.ApplicationLogLevelDebug}})
	apiError(t, err, "InvalidParameterValueException")
}
