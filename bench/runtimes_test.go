package bench

import (
	"archive/zip"
	"bytes"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// These tests are quick and start nothing.

func TestCheckJSONEcho(t *testing.T) {
	r := &Rig{Payload: []byte(`{"data":"xx"}`)}
	for _, tc := range []struct {
		name string
		out  lambda.InvokeOutput
		ok   bool
	}{
		{"same bytes", lambda.InvokeOutput{StatusCode: http.StatusOK, Payload: []byte(`{"data":"xx"}`)}, true},
		{"python spacing", lambda.InvokeOutput{StatusCode: http.StatusOK, Payload: []byte("{\"data\": \"xx\"}\n")}, true},
		{"other value", lambda.InvokeOutput{StatusCode: http.StatusOK, Payload: []byte(`{"data":"xy"}`)}, false},
		{"not JSON", lambda.InvokeOutput{StatusCode: http.StatusOK, Payload: []byte(`{`)}, false},
		{"function error", lambda.InvokeOutput{StatusCode: http.StatusOK, FunctionError: aws.String("Unhandled"), Payload: []byte(`{"data":"xx"}`)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := r.checkJSONEcho("fn", &tc.out); (err == nil) != tc.ok {
				t.Errorf("checkJSONEcho = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestLanguageZip(t *testing.T) {
	for _, l := range []Language{Python, NodeJS} {
		b, err := l.Zip()
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if len(zr.File) != len(l.Files) {
			t.Errorf("%s: %d files in the zip, want %d", l.Name, len(zr.File), len(l.Files))
		}
	}
}

func TestReapedCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := reapedCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}
