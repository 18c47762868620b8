package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stratus-run/stratus/internal/runtimes"
)

// javaTestSources are handlers written as AWS's documentation writes them,
// compiled against Stratus's own aws-lambda-java-core API. example.lib.Greeter
// goes into lib/greeter.jar; the rest are classes at the package's root.
var javaTestSources = map[string]string{
	"example/Levels.java": `package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;

public class Levels implements RequestHandler<String, String> {
    @Override
    public String handleRequest(String name, Context context) {
        LambdaLogger logger = context.getLogger();
        logger.log("too fine", LogLevel.DEBUG);
        logger.log("hello " + name, LogLevel.INFO);
        return "ok";
    }
}
`,
	"example/Hello.java": `package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;

public class Hello implements RequestHandler<Map<String, Object>, String> {
    static int inits;
    static int constructed;

    static {
        inits++;
        System.out.println("static init ran");
    }

    private int calls;

    public Hello() {
        constructed++;
    }

    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        LambdaLogger logger = context.getLogger();
        logger.log("EVENT name: " + event.get("name"));
        calls++;
        return "Hello, " + event.get("name") + "! id=" + context.getAwsRequestId()
                + " inits=" + inits + " constructed=" + constructed + " calls=" + calls;
    }
}
`,
	"example/Echo.java": `package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

public class Echo implements RequestStreamHandler {
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        System.err.println("echoing to stderr");
        input.transferTo(output);
    }
}
`,
	"example/Fail.java": `package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;

public class Fail implements RequestHandler<Map<String, Object>, String> {
    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        return check(event);
    }

    private static String check(Map<String, Object> event) {
        throw new IllegalStateException("boom: " + event.get("why"));
    }
}
`,
	"example/Order.java": `package example;

public class Order {
    public String item;
    private int qty;
    public java.util.List<String> tags;

    public int getQty() {
        return qty;
    }

    public void setQty(int qty) {
        this.qty = qty;
    }
}
`,
	"example/Ctx.java": `package example;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import java.util.LinkedHashMap;
import java.util.Map;

public class Ctx {
    public static Map<String, Object> info(Order order, Context context) {
        LambdaRuntime.getLogger().log("via LambdaRuntime");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requestId", context.getAwsRequestId());
        m.put("functionName", context.getFunctionName());
        m.put("functionVersion", context.getFunctionVersion());
        m.put("arn", context.getInvokedFunctionArn());
        m.put("memory", context.getMemoryLimitInMB());
        m.put("logGroup", context.getLogGroupName());
        m.put("logStream", context.getLogStreamName());
        m.put("remaining", context.getRemainingTimeInMillis());
        m.put("identity", context.getIdentity() == null ? null : context.getIdentity().getIdentityId());
        ClientContext cc = context.getClientContext();
        if (cc != null) {
            m.put("custom", cc.getCustom());
            m.put("env", cc.getEnvironment());
            m.put("appTitle", cc.getClient() == null ? null : cc.getClient().getAppTitle());
        }
        m.put("order", order);
        m.put("trace", System.getProperty("com.amazonaws.xray.traceHeader"));
        return m;
    }
}
`,
	"example/UsesLib.java": `package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import example.lib.Greeter;

public class UsesLib implements RequestHandler<String, String> {
    @Override
    public String handleRequest(String name, Context context) {
        return Greeter.greet(name);
    }
}
`,
	"example/lib/Greeter.java": `package example.lib;

public final class Greeter {
    public static String greet(String name) {
        return "Hi " + name + " from a jar";
    }
}
`,
	"example/BadInit.java": `package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

public class BadInit implements RequestHandler<Object, Object> {
    static {
        if (System.getenv("TABLE_NAME") == null) {
            throw new IllegalStateException("TABLE_NAME is not set");
        }
    }

    @Override
    public Object handleRequest(Object event, Context context) {
        return event;
    }
}
`,
}

var (
	javaZipOnce sync.Once
	javaZipData []byte
	javaZipErr  error
)

// javaTestZip compiles javaTestSources with javac against the runtime's API
// classes and zips them, once per run: classes at the root, example.lib in
// lib/greeter.jar. Without javac the test is skipped, unless CI is set.
func javaTestZip(t *testing.T) []byte {
	t.Helper()
	if _, err := exec.LookPath("javac"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("javac is required in CI")
		}
		t.Skip("no javac on this host")
	}
	javaZipOnce.Do(func() { javaZipData, javaZipErr = buildJavaTestZip() })
	if javaZipErr != nil {
		t.Fatal(javaZipErr)
	}
	return javaZipData
}

func buildJavaTestZip() ([]byte, error) {
	tmp, err := os.MkdirTemp("", "stratus-java-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	rts := &runtimes.Runtimes{Dir: filepath.Join(tmp, "runtimes")}
	if err := rts.Open(); err != nil {
		return nil, err
	}
	api, err := rts.JavaClasses()
	if err != nil {
		return nil, err
	}
	args := []string{"-J-XX:TieredStopAtLevel=1", "--release", "17", "-cp", api, "-d", filepath.Join(tmp, "out")}
	for name, src := range javaTestSources {
		p := filepath.Join(tmp, "src", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			return nil, err
		}
		args = append(args, p)
	}
	if out, err := exec.Command("javac", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("javac: %v\n%s", err, out)
	}
	var jar, pkg bytes.Buffer
	jw, zw := zip.NewWriter(&jar), zip.NewWriter(&pkg)
	out := filepath.Join(tmp, "out")
	err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w := zw
		if strings.HasPrefix(filepath.ToSlash(rel), "example/lib/") {
			w = jw
		}
		f, err := w.Create(filepath.ToSlash(rel))
		if err == nil {
			_, err = f.Write(b)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := jw.Close(); err != nil {
		return nil, err
	}
	f, err := zw.Create("lib/greeter.jar")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(jar.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return pkg.Bytes(), nil
}

// createJavaFn creates a java21 function with the given handler, 512 MB and a 5 s timeout.
func createJavaFn(t *testing.T, c *lambda.Client, name, handler string) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeJava21,
		Handler:      aws.String(handler),
		Role:         aws.String(testRole),
		MemorySize:   aws.Int32(512),
		Timeout:      aws.Int32(5),
		Code:         &types.FunctionCode{ZipFile: javaTestZip(t)},
	}
	out, err := c.CreateFunction(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

// javaError is the error document AWS's Java runtime posts.
type javaError struct {
	ErrorMessage string    `json:"errorMessage"`
	ErrorType    *string   `json:"errorType"`
	StackTrace   *[]string `json:"stackTrace"`
}

func decodeJavaError(t *testing.T, out *lambda.InvokeOutput) javaError {
	t.Helper()
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("FunctionError = %q, want Unhandled (payload %s)", aws.ToString(out.FunctionError), out.Payload)
	}
	var e javaError
	if err := json.Unmarshal(out.Payload, &e); err != nil {
		t.Fatalf("error body %s: %v", out.Payload, err)
	}
	return e
}

var staticInitLine = regexp.MustCompile(`(?m)^static init ran\n`)

func TestJavaRuntime(t *testing.T) {
	javaTestZip(t)
	ts := startServer(t, "")
	c := ts.lambdaClient()

	t.Run("RequestHandler inits once", func(t *testing.T) {
		t.Parallel()
		createJavaFn(t, c, "java-hello", "example.Hello::handleRequest")
		for i := 1; i <= 3; i++ {
			out, tail := invokeTail(t, c, "java-hello", `{"name": "Ana"}`)
			if out.FunctionError != nil {
				t.Fatalf("FunctionError %s: %s", aws.ToString(out.FunctionError), out.Payload)
			}
			id := startID(t, tail)
			want := fmt.Sprintf(`"Hello, Ana! id=%s inits=1 constructed=1 calls=%d"`, id, i)
			if string(out.Payload) != want {
				t.Errorf("invoke %d: payload %s, want %s", i, out.Payload, want)
			}
			if !strings.Contains(tail, "\nEVENT name: Ana\n") {
				t.Errorf("invoke %d: tail lacks the LambdaLogger line:\n%s", i, tail)
			}
			if ran := strings.Contains(tail, "static init ran"); ran != (i == 1) {
				t.Errorf("invoke %d: static init output in tail = %v, want %v:\n%s", i, ran, i == 1, tail)
			}
			tail = staticInitLine.ReplaceAllString(tail, "")
			checkLogTail(t, tail, 512, i == 1)
			if i == 1 {
				t.Logf("java21 cold start: REPORT Init Duration %.2f ms", reportInitMs(tail))
			}
		}
	})

	t.Run("RequestStreamHandler", func(t *testing.T) {
		t.Parallel()
		createJavaFn(t, c, "java-echo", "example.Echo")
		const payload = `{"a": [1, 2.5, null, true], "s": "caf\u00e9 ☃"}`
		out, tail := invokeTail(t, c, "java-echo", payload)
		if string(out.Payload) != payload || out.FunctionError != nil {
			t.Errorf("echo %s (FunctionError %v), want %s", out.Payload, out.FunctionError, payload)
		}
		if !strings.Contains(tail, "\nechoing to stderr\n") {
			t.Errorf("tail lacks the stderr line:\n%s", tail)
		}
	})

	t.Run("handler throws", func(t *testing.T) {
		t.Parallel()
		createJavaFn(t, c, "java-fail", "example.Fail::handleRequest")
		out, tail := invokeTail(t, c, "java-fail", `{"why": "x"}`)
		e := decodeJavaError(t, out)
		if e.ErrorMessage != "boom: x" || aws.ToString(e.ErrorType) != "java.lang.IllegalStateException" {
			t.Errorf("error body %s", out.Payload)
		}
		// The trace is the function's frames only, as StackTraceElement.toString writes them.
		if e.StackTrace == nil || len(*e.StackTrace) < 2 ||
			!regexp.MustCompile(`^example\.Fail\.check\(Fail\.java:\d+\)$`).MatchString((*e.StackTrace)[0]) ||
			!regexp.MustCompile(`^example\.Fail\.handleRequest\(Fail\.java:\d+\)$`).MatchString((*e.StackTrace)[1]) {
			t.Errorf("stackTrace in %s", out.Payload)
		} else {
			for _, f := range *e.StackTrace {
				if strings.Contains(f, "stratus") {
					t.Errorf("stackTrace has the runtime's frame %q", f)
				}
			}
		}
		if !strings.Contains(tail, "boom: x: java.lang.IllegalStateException\njava.lang.IllegalStateException: boom: x\n\tat example.Fail.check(Fail.java:") {
			t.Errorf("tail lacks the error report:\n%s", tail)
		}
		// The environment survives a handler's exception.
		if out := invokeFn(t, c, "java-fail", `{"why": "y"}`); !strings.Contains(string(out.Payload), `"boom: y"`) {
			t.Errorf("second invoke %s", out.Payload)
		}
	})

	t.Run("context and POJO", func(t *testing.T) {
		t.Parallel()
		created := createJavaFn(t, c, "java-ctx", "example.Ctx::info")
		cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"},"env":{"platform":"test"},"client":{"app_title":"demo"}}`))
		out, tail := invokeTail(t, c, "java-ctx", `{"item": "tea", "qty": 3, "tags": ["a", "b"], "extra": {"x": 1}}`,
			func(in *lambda.InvokeInput) { in.ClientContext = aws.String(cc) })
		var got struct {
			RequestID, FunctionName, FunctionVersion, Arn, LogGroup, LogStream, AppTitle, Trace string
			Memory, Remaining                                                                   int
			Identity                                                                            *string
			Custom, Env                                                                         map[string]string
			Order                                                                               struct {
				Item string
				Qty  int
				Tags []string
			}
		}
		if err := json.Unmarshal(out.Payload, &got); err != nil || out.FunctionError != nil {
			t.Fatalf("%v: %s", err, out.Payload)
		}
		if id := startID(t, tail); got.RequestID != id {
			t.Errorf("getAwsRequestId %q, START has %q", got.RequestID, id)
		}
		if got.FunctionName != "java-ctx" || got.FunctionVersion != "$LATEST" || got.Arn != aws.ToString(created.FunctionArn) {
			t.Errorf("function name/version/arn in %s", out.Payload)
		}
		if got.Memory != 512 || got.Remaining <= 0 || got.Remaining > 5000 {
			t.Errorf("memory %d, remaining %d", got.Memory, got.Remaining)
		}
		if got.LogGroup != "/aws/lambda/java-ctx" || !strings.Contains(got.LogStream, "/[$LATEST]") {
			t.Errorf("log group/stream %q %q", got.LogGroup, got.LogStream)
		}
		if got.Identity != nil || got.Custom["k"] != "v" || got.Env["platform"] != "test" || got.AppTitle != "demo" {
			t.Errorf("identity/client context in %s", out.Payload)
		}
		if got.Order.Item != "tea" || got.Order.Qty != 3 || len(got.Order.Tags) != 2 {
			t.Errorf("order (public field, setter, list) in %s", out.Payload)
		}
		if !strings.HasPrefix(got.Trace, "Root=1-") {
			t.Errorf("trace header property %q", got.Trace)
		}
		if !strings.Contains(tail, "\nvia LambdaRuntime\n") {
			t.Errorf("tail lacks LambdaRuntime.getLogger's line:\n%s", tail)
		}
	})

	t.Run("jar in lib", func(t *testing.T) {
		t.Parallel()
		createJavaFn(t, c, "java-lib", "example.UsesLib")
		out := invokeFn(t, c, "java-lib", `"Ana"`)
		if string(out.Payload) != `"Hi Ana from a jar"` || out.FunctionError != nil {
			t.Errorf("payload %s, FunctionError %v", out.Payload, out.FunctionError)
		}
	})

	t.Run("JSON log format", func(t *testing.T) {
		t.Parallel()
		if _, err := c.CreateFunction(t.Context(), &lambda.CreateFunctionInput{
			FunctionName: aws.String("java-json"), Runtime: types.RuntimeJava21, Handler: aws.String("example.Levels"),
			Role: aws.String(testRole), MemorySize: aws.Int32(512), Timeout: aws.Int32(5),
			Code:          &types.FunctionCode{ZipFile: javaTestZip(t)},
			LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatJson},
		}); err != nil {
			t.Fatal(err)
		}
		out := invokeFn(t, c, "java-json", `"Ana"`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
		tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		var found bool
		var requestID string
		for _, line := range strings.Split(strings.TrimSpace(string(tail)), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue // the JVM's own output
			}
			if rec["type"] == "platform.start" {
				requestID, _ = rec["record"].(map[string]any)["requestId"].(string)
			}
			if rec["message"] == "too fine" {
				t.Errorf("DEBUG line logged at level INFO: %s", line)
			}
			if rec["message"] == "hello Ana" {
				found = rec["level"] == "INFO" && requestID != "" && rec["AWSRequestId"] == requestID
				if _, ok := rec["timestamp"].(string); !ok {
					t.Errorf("no timestamp: %s", line)
				}
			}
		}
		if !found {
			t.Errorf("no JSON INFO line with the request id:\n%s", tail)
		}
	})

	t.Run("jar from a layer", func(t *testing.T) {
		t.Parallel()
		// The same package with lib/greeter.jar moved into a layer's java/lib.
		code, layer := splitJar(t, javaTestZip(t))
		lv, err := c.PublishLayerVersion(t.Context(), &lambda.PublishLayerVersionInput{
			LayerName: aws.String("greeter"), Content: &types.LayerVersionContentInput{ZipFile: layer}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateFunction(t.Context(), &lambda.CreateFunctionInput{
			FunctionName: aws.String("java-layer"), Runtime: types.RuntimeJava21, Handler: aws.String("example.UsesLib"),
			Role: aws.String(testRole), MemorySize: aws.Int32(512), Timeout: aws.Int32(5),
			Code: &types.FunctionCode{ZipFile: code}, Layers: []string{aws.ToString(lv.LayerVersionArn)},
		}); err != nil {
			t.Fatal(err)
		}
		out := invokeFn(t, c, "java-layer", `"Ana"`)
		if string(out.Payload) != `"Hi Ana from a jar"` || out.FunctionError != nil {
			t.Errorf("payload %s, FunctionError %v", out.Payload, out.FunctionError)
		}
	})

	t.Run("class not found", func(t *testing.T) {
		t.Parallel()
		createJavaFn(t, c, "java-nope", "example.Nope::handleRequest")
		out := invokeFn(t, c, "java-nope", `{}`)
		e := decodeJavaError(t, out)
		if e.ErrorMessage != "Class not found: example.Nope" || aws.ToString(e.ErrorType) != "java.lang.ClassNotFoundException" || e.StackTrace != nil {
			t.Errorf("error body %s", out.Payload)
		}
	})

	t.Run("method not found", func(t *testing.T) {
		t.Parallel()
		createJavaFn(t, c, "java-nomethod", "example.Hello::nope")
		out := invokeFn(t, c, "java-nomethod", `{}`)
		e := decodeJavaError(t, out)
		if e.ErrorMessage != "No public method named nope with appropriate method signature found on class example.Hello" || e.ErrorType != nil {
			t.Errorf("error body %s", out.Payload)
		}
		// A class named without a method must implement one of the handler interfaces.
		createJavaFn(t, c, "java-nointerface", "example.Order")
		out = invokeFn(t, c, "java-nointerface", `{}`)
		if e := decodeJavaError(t, out); e.ErrorMessage != "Class does not implement an appropriate handler interface: example.Order" || e.ErrorType != nil || e.StackTrace != nil {
			t.Errorf("error body %s", out.Payload)
		}
	})

	t.Run("class newer than the host's Java", func(t *testing.T) {
		t.Parallel()
		// Echo.class with its major version set to 255, which no JVM loads.
		zr, err := zip.NewReader(bytes.NewReader(javaTestZip(t)), int64(len(javaTestZip(t))))
		if err != nil {
			t.Fatal(err)
		}
		var class []byte
		for _, f := range zr.File {
			if f.Name == "example/Echo.class" {
				rc, _ := f.Open()
				class, _ = io.ReadAll(rc)
				rc.Close()
			}
		}
		if len(class) < 8 {
			t.Fatal("no example/Echo.class in the package")
		}
		class[6], class[7] = 0, 255
		var pkg bytes.Buffer
		zw := zip.NewWriter(&pkg)
		w, _ := zw.Create("example/Echo.class")
		w.Write(class) //nolint:errcheck
		zw.Close()
		_, err = c.CreateFunction(t.Context(), &lambda.CreateFunctionInput{
			FunctionName: aws.String("java-newer"),
			Runtime:      types.RuntimeJava21,
			Handler:      aws.String("example.Echo"),
			Role:         aws.String(testRole),
			Code:         &types.FunctionCode{ZipFile: pkg.Bytes()},
		})
		if err != nil {
			t.Fatal(err)
		}
		out := invokeFn(t, c, "java-newer", `{}`)
		e := decodeJavaError(t, out)
		if aws.ToString(e.ErrorType) != "java.lang.UnsupportedClassVersionError" ||
			!strings.HasPrefix(e.ErrorMessage, "Error loading class example.Echo: ") ||
			!strings.Contains(e.ErrorMessage, "(Stratus runs java21 on the host's Java ") {
			t.Errorf("error body %s", out.Payload)
		}
	})

	t.Run("static init throws", func(t *testing.T) {
		t.Parallel()
		createJavaFn(t, c, "java-badinit", "example.BadInit")
		out, tail := invokeTail(t, c, "java-badinit", `{}`)
		e := decodeJavaError(t, out)
		if e.ErrorMessage != "Error loading class example.BadInit" || aws.ToString(e.ErrorType) != "java.lang.ExceptionInInitializerError" {
			t.Errorf("error body %s", out.Payload)
		}
		if !strings.Contains(tail, "Caused by: java.lang.IllegalStateException: TABLE_NAME is not set") {
			t.Errorf("tail lacks the cause:\n%s", tail)
		}
		if !strings.Contains(tail, "Error Type: Runtime.BadFunctionCode") {
			t.Errorf("tail lacks the init error type:\n%s", tail)
		}
	})
}

// splitJar returns pkg without lib/greeter.jar, and a layer zip holding that jar
// at java/lib/greeter.jar, where Lambda's Java runtime looks in layers.
func splitJar(t *testing.T, pkg []byte) (code, layer []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var cb, lb bytes.Buffer
	cw, lw := zip.NewWriter(&cb), zip.NewWriter(&lb)
	for _, f := range zr.File {
		if f.Name == "lib/greeter.jar" {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			w, _ := lw.Create("java/lib/greeter.jar")
			if _, err := io.Copy(w, r); err != nil {
				t.Fatal(err)
			}
			r.Close()
			continue
		}
		if err := cw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	return cb.Bytes(), lb.Bytes()
}
