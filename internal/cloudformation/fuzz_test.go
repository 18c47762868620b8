package cloudformation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/store"
)

// FuzzQuery posts arbitrary requests to the API: whatever they hold, the
// answer is an AWS-shaped error or a result, never a failure of the service
// itself (a panic renders as a 500).
func FuzzQuery(f *testing.F) {
	tpl := "Resources:\n  Q:\n    Type: AWS::SQS::Queue\nOutputs:\n  U:\n    Value: !Ref Q\n    Export: {Name: x}\n"
	for _, v := range []url.Values{
		{"Action": {"CreateStack"}, "StackName": {"s"}, "TemplateBody": {tpl}, "Parameters.member.1.ParameterKey": {"P"}},
		{"Action": {"CreateStack"}, "StackName": {"s2"}, "TemplateURL": {"https://b.s3.amazonaws.com/k"}},
		{"Action": {"UpdateStack"}, "StackName": {"s"}, "UsePreviousTemplate": {"true"}, "Parameters.member.1.UsePreviousValue": {"true"}},
		{"Action": {"CreateChangeSet"}, "StackName": {"c"}, "ChangeSetName": {"cs"}, "ChangeSetType": {"CREATE"}, "TemplateBody": {"{\"Resources\":{}}"}},
		{"Action": {"DescribeChangeSet"}, "ChangeSetName": {"arn:aws:cloudformation:us-east-1:000000000000:changeSet/x/y"}},
		{"Action": {"ExecuteChangeSet"}, "StackName": {"c"}, "ChangeSetName": {"cs"}},
		{"Action": {"DeleteStack"}, "StackName": {"s"}, "RetainResources.member.1": {"Q"}},
		{"Action": {"GetTemplate"}, "StackName": {"s"}, "TemplateStage": {"Processed"}},
		{"Action": {"GetTemplateSummary"}, "TemplateBody": {"Transform: AWS::Serverless-2016-10-31\nResources: {}"}},
		{"Action": {"ValidateTemplate"}, "TemplateBody": {"[1,2"}},
		{"Action": {"DescribeStackResources"}, "PhysicalResourceId": {"p"}},
		{"Action": {"ListImports"}, "ExportName": {"x"}},
		{"Action": {"UpdateTerminationProtection"}, "StackName": {"s"}, "EnableTerminationProtection": {"true"}},
	} {
		f.Add(v.Encode())
	}
	st := &store.Store{Dir: f.TempDir()}
	ctx := context.Background()
	if err := st.Open(ctx); err != nil {
		f.Fatal(err)
	}
	// Nothing listens there: templates from S3 and providers fail at once.
	svc := &Service{Store: st, Endpoint: "http://127.0.0.1:1", AccessKeyID: "k", SecretAccessKey: "s", SettleWait: -1}
	if err := svc.Open(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		svc.Close(cctx) //nolint:errcheck
		st.Close(cctx)  //nolint:errcheck
	})
	f.Fuzz(func(t *testing.T, form string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		svc.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s: HTTP %d\n%s", form, w.Code, w.Body)
		}
		if !strings.Contains(w.Body.String(), xmlNamespace) {
			t.Fatalf("%s: no CloudFormation answer: %s", form, w.Body)
		}
	})
}
