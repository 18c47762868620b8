// Command cfnbench measures deploying a SAM app through CloudFormation and
// the reload latency of `stratus dev`, each against the direct API calls
// that make or change the same resources, in one run.
//
//	go run ./bench/cmd/cfnbench [flags]
//
// Deploy rows (each -rounds times, alternating, fresh names each round): a
// 10-function SAM app (python3.12 functions, an HttpApi with one GET route
// each), made by
//   - direct: CreateFunction x10 (waiting Active), CreateApi, per function
//     CreateIntegration + CreateRoute + AddPermission, CreateStage, one
//     call after another as a deploy script does (the baseline);
//   - direct parallel: the same with the 10 functions' calls in parallel;
//   - changeset: CreateChangeSet (CREATE) + ExecuteChangeSet of the
//     template with s3:// CodeUris, to CREATE_COMPLETE (what `aws
//     cloudformation deploy` sends);
//   - stratus deploy: the `stratus deploy` binary on the template with local
//     CodeUri directories: packaging, upload, change set, wait.
//
// Reload rows: `stratus dev` runs as a child process; a handler file is
// rewritten with a new answer and the function is invoked in a loop until it
// answers it. The baseline is the same change made by hand: zip (and for Go,
// go build) and UpdateFunctionCode, then the same invoke loop.
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stratus-run/stratus/bench"
	"github.com/stratus-run/stratus/internal/testfn"
)

func main() { bench.Main("cfnbench", run) }

// Targets of issue 15.
const (
	targetDeployRatio = 2.0
	targetPyReload    = 300 * time.Millisecond
)

const role = "arn:aws:iam::000000000000:role/bench"

const pyHandler = `def handler(event, context):
    return {"statusCode": 200, "body": "ANSWER"}
`

// goHandler speaks the Runtime API with the standard library only, so it
// builds without a module download.
const goHandler = `package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
)

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		r, err := http.Get(api + "next")
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		resp, err := http.Post(api+r.Header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", "application/json", bytes.NewReader([]byte("\"ANSWER\"")))
		if err != nil {
			os.Exit(1)
		}
		resp.Body.Close()
	}
}
`

type rig struct {
	srv    *bench.Process
	bin    string
	dir    string
	cfn    *cloudformation.Client
	lam    *lambda.Client
	gw     *apigatewayv2.Client
	s3     *s3.Client
	hc     *http.Client
	pyZip  []byte
	bucket string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cfnbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 5, "deploy rounds (each party once per round)")
	functions := fs.Int("functions", 10, "functions of the app")
	reloads := fs.Int("reloads", 10, "reloads per language and party")
	stratus := fs.String("stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := testfn.ModuleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "cfnbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r := &rig{dir: dir, bin: *stratus, bucket: "cfnbench-code", hc: bench.NewHTTPClient(16)}
	if r.bin == "" {
		r.bin = filepath.Join(dir, "stratus")
		if err := testfn.GoBuild(root, "./cmd/stratus", r.bin); err != nil {
			return err
		}
	}
	if r.srv, err = bench.StartProcess(ctx, time.Minute, r.bin, "server", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--sandbox", "process"); err != nil {
		return err
	}
	defer r.srv.Close(context.Background()) //nolint:errcheck
	creds := credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", "")
	ep := aws.String(r.srv.URL)
	r.cfn = cloudformation.New(cloudformation.Options{BaseEndpoint: ep, Region: "us-east-1", Credentials: creds, HTTPClient: r.hc})
	r.lam = lambda.New(lambda.Options{BaseEndpoint: ep, Region: "us-east-1", Credentials: creds, HTTPClient: r.hc})
	r.gw = apigatewayv2.New(apigatewayv2.Options{BaseEndpoint: ep, Region: "us-east-1", Credentials: creds, HTTPClient: r.hc})
	r.s3 = s3.New(s3.Options{BaseEndpoint: ep, Region: "us-east-1", Credentials: creds, HTTPClient: r.hc, UsePathStyle: true})
	if r.pyZip, err = zipFiles(map[string]string{"app.py": strings.Replace(pyHandler, "ANSWER", "deployed", 1)}); err != nil {
		return err
	}
	if _, err := r.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(r.bucket)}); err != nil {
		return err
	}
	if _, err := r.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.bucket), Key: aws.String("py.zip"), Body: bytes.NewReader(r.pyZip)}); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "date %s\nmachine %+v\nload average before %s\n\n", time.Now().UTC().Format(time.RFC3339), bench.MachineInfo(), bench.LoadAvg())
	if err := r.deployRows(ctx, stdout, *rounds, *functions); err != nil {
		return err
	}
	if err := r.reloadRows(ctx, stdout, *reloads); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nload average after %s\n", bench.LoadAvg())
	return nil
}

// deployRows times each way of making the app, alternating per round.
func (r *rig) deployRows(ctx context.Context, w io.Writer, rounds, n int) error {
	parties := []struct {
		name string
		make func(ctx context.Context, id string) (apiID string, err error)
	}{
		{"direct", func(ctx context.Context, id string) (string, error) { return r.direct(ctx, id, n, false) }},
		{"direct parallel", func(ctx context.Context, id string) (string, error) { return r.direct(ctx, id, n, true) }},
		{"changeset", func(ctx context.Context, id string) (string, error) { return r.changeSet(ctx, id, n) }},
		{"stratus deploy", func(ctx context.Context, id string) (string, error) { return r.stratusDeploy(ctx, id, n) }},
	}
	times := map[string][]time.Duration{}
	for round := range rounds {
		for _, p := range parties {
			id := fmt.Sprintf("r%d%s", round, strings.ReplaceAll(p.name, " ", ""))
			t0 := time.Now()
			api, err := p.make(ctx, id)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", p.name, round, err)
			}
			times[p.name] = append(times[p.name], time.Since(t0))
			// Every party's app must serve: the last route answers.
			if err := r.checkRoute(ctx, api, fmt.Sprintf("/f%d", n-1)); err != nil {
				return fmt.Errorf("%s round %d: %w", p.name, round, err)
			}
		}
	}
	fmt.Fprintf(w, "## deploy: %d python3.12 functions + HttpApi (%d routes), %d rounds\n\n", n, n, rounds)
	fmt.Fprintf(w, "| party | median ms | min ms | max ms | / direct |\n|---|---|---|---|---|\n")
	base := median(times["direct"])
	for _, p := range parties {
		ts := times[p.name]
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.1f | %.2f |\n", p.name, ms(median(ts)), ms(slices.Min(ts)), ms(slices.Max(ts)), float64(median(ts))/float64(base))
	}
	for _, name := range []string{"changeset", "stratus deploy"} {
		ratio := float64(median(times[name])) / float64(base)
		pass := ratio <= targetDeployRatio
		fmt.Fprintf(w, "\n%s / direct (medians) %.2f, target <= %.1f: %s", name, ratio, targetDeployRatio, bench.Verdict(&pass))
	}
	fmt.Fprintln(w)
	return nil
}

// direct makes the app with the APIs the template's resources call.
func (r *rig) direct(ctx context.Context, id string, n int, parallel bool) (string, error) {
	api, err := r.gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(id), ProtocolType: "HTTP"})
	if err != nil {
		return "", err
	}
	apiID := aws.ToString(api.ApiId)
	one := func(i int) error {
		name := fmt.Sprintf("%s-f%d", id, i)
		fn, err := r.lam.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimePython312,
			Handler: aws.String("app.handler"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: r.pyZip}})
		if err != nil {
			return err
		}
		if err := lambda.NewFunctionActiveV2Waiter(r.lam).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute,
			func(o *lambda.FunctionActiveV2WaiterOptions) {
				o.MinDelay = 5 * time.Millisecond
				o.MaxDelay = 100 * time.Millisecond
			}); err != nil {
			return err
		}
		integ, err := r.gw.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: aws.String(apiID), IntegrationType: "AWS_PROXY",
			IntegrationUri: fn.FunctionArn, PayloadFormatVersion: aws.String("2.0")})
		if err != nil {
			return err
		}
		if _, err := r.gw.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: aws.String(apiID), RouteKey: aws.String(fmt.Sprintf("GET /f%d", i)),
			Target: aws.String("integrations/" + aws.ToString(integ.IntegrationId))}); err != nil {
			return err
		}
		_, err = r.lam.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(name), StatementId: aws.String("api"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"),
			SourceArn: aws.String("arn:aws:execute-api:us-east-1:000000000000:" + apiID + "/*/*/*")})
		return err
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		if !parallel {
			errs[i] = one(i)
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = one(i) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	_, err = r.gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: aws.String(apiID), StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)})
	return apiID, err
}

// samTemplate is the app: n functions, each with an HttpApi GET route.
func samTemplate(n int, codeURI func(i int) string) string {
	var b strings.Builder
	b.WriteString("Transform: AWS::Serverless-2016-10-31\nResources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  F%d:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: %s\n      Handler: app.handler\n      Runtime: python3.12\n"+
			"      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            Path: /f%d\n            Method: get\n", i, codeURI(i), i)
	}
	b.WriteString("Outputs:\n  ApiId:\n    Value: !Ref ServerlessHttpApi\n")
	return b.String()
}

// changeSet deploys the template as `aws cloudformation deploy` does.
func (r *rig) changeSet(ctx context.Context, id string, n int) (string, error) {
	body := samTemplate(n, func(int) string { return "s3://" + r.bucket + "/py.zip" })
	cs, err := r.cfn.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: aws.String(id), ChangeSetName: aws.String("c1"),
		ChangeSetType: cfntypes.ChangeSetTypeCreate, TemplateBody: aws.String(body),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityAutoExpand}})
	if err != nil {
		return "", err
	}
	for {
		d, err := r.cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: cs.Id})
		if err != nil {
			return "", err
		}
		if d.Status == cfntypes.ChangeSetStatusCreateComplete {
			break
		}
		if d.Status == cfntypes.ChangeSetStatusFailed {
			return "", fmt.Errorf("change set: %s", aws.ToString(d.StatusReason))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := r.cfn.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: cs.Id}); err != nil {
		return "", err
	}
	for {
		out, err := r.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(id)})
		if err != nil {
			return "", err
		}
		st := out.Stacks[0]
		switch st.StackStatus {
		case cfntypes.StackStatusCreateComplete:
			for _, o := range st.Outputs {
				if aws.ToString(o.OutputKey) == "ApiId" {
					return aws.ToString(o.OutputValue), nil
				}
			}
			return "", errors.New("no ApiId output")
		case cfntypes.StackStatusCreateInProgress, cfntypes.StackStatusReviewInProgress:
			time.Sleep(5 * time.Millisecond)
		default:
			return "", fmt.Errorf("stack %s: %s", id, st.StackStatus)
		}
	}
}

// stratusDeploy runs `stratus deploy` on the template with local CodeUri
// directories, one per function as an app has them.
func (r *rig) stratusDeploy(ctx context.Context, id string, n int) (string, error) {
	app := filepath.Join(r.dir, id)
	for i := range n {
		d := filepath.Join(app, fmt.Sprintf("f%d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(d, "app.py"), []byte(strings.Replace(pyHandler, "ANSWER", "deployed", 1)), 0o644); err != nil {
			return "", err
		}
	}
	tpl := filepath.Join(app, "template.yaml")
	if err := os.WriteFile(tpl, []byte(samTemplate(n, func(i int) string { return fmt.Sprintf("f%d/", i) })), 0o644); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, r.bin, "deploy", tpl, "--stack-name", id, "--endpoint-url", r.srv.URL)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("stratus deploy: %w\n%s", err, errb.String())
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "ApiId\t"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("stratus deploy printed no ApiId: %q", out)
}

// checkRoute calls a route of the API through its execute-api host.
func (r *rig) checkRoute(ctx context.Context, apiID, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URL+path, nil)
	if err != nil {
		return err
	}
	u, _ := url.Parse(r.srv.URL)
	req.Host = apiID + ".execute-api.localhost:" + u.Port()
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "deployed" {
		return fmt.Errorf("GET %s: %d %q", path, resp.StatusCode, b)
	}
	return nil
}

// reloadRows measures file saved → new answer under `stratus dev`, and the
// same change made by hand.
func (r *rig) reloadRows(ctx context.Context, w io.Writer, n int) error {
	app := filepath.Join(r.dir, "devapp")
	write := func(rel, s string) error {
		p := filepath.Join(app, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(s), 0o644)
	}
	tpl := "Transform: AWS::Serverless-2016-10-31\nResources:\n" +
		"  Py:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: py/\n      Handler: app.handler\n      Runtime: python3.12\n" +
		"  Go:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: go/\n      Handler: bootstrap\n      Runtime: provided.al2023\n" +
		"Outputs:\n  Py:\n    Value: !Ref Py\n  Go:\n    Value: !Ref Go\n"
	for _, f := range [][2]string{{"template.yaml", tpl}, {"py/app.py", strings.Replace(pyHandler, "ANSWER", "a0", 1)},
		{"go/go.mod", "module gofn\n\ngo 1.26\n"}, {"go/main.go", strings.Replace(goHandler, "ANSWER", "a0", 1)}} {
		if err := write(f[0], f[1]); err != nil {
			return err
		}
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(dctx, r.bin, "dev", filepath.Join(app, "template.yaml"), "--stack-name", "devapp", "--endpoint-url", r.srv.URL)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cancel()   // Ctrl-C, as a user stops it, before waiting for it
		cmd.Wait() //nolint:errcheck // stopped on purpose
	}()
	names := map[string]string{}
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "\t"); ok {
				mu.Lock()
				names[k] = v
				mu.Unlock()
			}
		}
	}()
	watching := make(chan struct{})
	var errTail strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.OnceFunc(func() { close(watching) })
		for sc.Scan() {
			mu.Lock()
			errTail.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.HasPrefix(sc.Text(), "watching ") {
				once()
			}
		}
	}()
	select {
	case <-watching:
	case <-time.After(2 * time.Minute):
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("stratus dev did not start watching:\n%s", errTail.String())
	}
	mu.Lock()
	py, goName := names["Py"], names["Go"]
	mu.Unlock()

	answer := func(fn, want string) error {
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			out, err := r.lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn)})
			if err != nil {
				return err
			}
			if bytes.Contains(out.Payload, []byte(want)) {
				return nil
			}
		}
		return fmt.Errorf("%s never answered %s", fn, want)
	}
	type row struct {
		name  string
		times []time.Duration
	}
	var rows []row
	measure := func(name, fn string, change func(token string) error) error {
		rw := row{name: name}
		for i := range n {
			token := fmt.Sprintf("%s-%d", strings.ReplaceAll(name, " ", ""), i)
			if err := answer(fn, ""); err != nil { // warm before the change
				return err
			}
			t0 := time.Now()
			if err := change(token); err != nil {
				return err
			}
			if err := answer(fn, token); err != nil {
				return err
			}
			rw.times = append(rw.times, time.Since(t0))
			time.Sleep(100 * time.Millisecond)
		}
		rows = append(rows, rw)
		return nil
	}
	saveTo := func(rel, src string) func(string) error {
		return func(token string) error { return write(rel, strings.Replace(src, "ANSWER", token, 1)) }
	}
	byHand := func(fn string, bundle func(token string) ([]byte, error)) func(string) error {
		return func(token string) error {
			z, err := bundle(token)
			if err != nil {
				return err
			}
			_, err = r.lam.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: z})
			return err
		}
	}
	pyByHand := func(token string) ([]byte, error) {
		return zipFiles(map[string]string{"app.py": strings.Replace(pyHandler, "ANSWER", token, 1)})
	}
	goByHand := func(token string) ([]byte, error) {
		d := filepath.Join(r.dir, "gohand")
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte("module gofn\n\ngo 1.26\n"), 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d, "main.go"), []byte(strings.Replace(goHandler, "ANSWER", token, 1)), 0o644); err != nil {
			return nil, err
		}
		c := exec.CommandContext(ctx, "go", "build", "-o", "bootstrap", ".")
		c.Dir, c.Env = d, append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := c.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build: %w\n%s", err, out)
		}
		b, err := os.ReadFile(filepath.Join(d, "bootstrap"))
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
		h.SetMode(0o755)
		zf, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		zf.Write(b) //nolint:errcheck // a bytes.Buffer does not fail
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	// The by-hand rows run against the same functions, after the dev rows,
	// so stratus dev sees no file change of theirs.
	for _, m := range []struct {
		name, fn string
		change   func(string) error
	}{
		{"python stratus dev", py, saveTo("py/app.py", pyHandler)},
		{"go stratus dev", goName, saveTo("go/main.go", goHandler)},
		{"python by hand", py, byHand(py, pyByHand)},
		{"go by hand", goName, byHand(goName, goByHand)},
	} {
		if err := measure(m.name, m.fn, m.change); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	fmt.Fprintf(w, "\n## reload: file saved (or code sent) → the new answer, %d reloads each, invoke polled back to back\n\n", n)
	fmt.Fprintf(w, "| party | median ms | min ms | max ms |\n|---|---|---|---|\n")
	med := map[string]time.Duration{}
	for _, rw := range rows {
		med[rw.name] = median(rw.times)
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.1f |\n", rw.name, ms(median(rw.times)), ms(slices.Min(rw.times)), ms(slices.Max(rw.times)))
	}
	pass := med["python stratus dev"] < targetPyReload
	fmt.Fprintf(w, "\npython stratus dev median %.1f ms, target < %d ms: %s (%.2f x by hand)\n", ms(med["python stratus dev"]), targetPyReload.Milliseconds(), bench.Verdict(&pass),
		float64(med["python stratus dev"])/float64(med["python by hand"]))
	fmt.Fprintf(w, "go stratus dev median %.1f ms: %s (%.2f x by hand)\n", ms(med["go stratus dev"]), bench.Verdict(nil), float64(med["go stratus dev"])/float64(med["go by hand"]))
	return nil
}

func zipFiles(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, src := range files {
		f, err := zw.Create(name)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write([]byte(src)); err != nil {
			return nil, err
		}
	}
	err := zw.Close()
	return buf.Bytes(), err
}

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
