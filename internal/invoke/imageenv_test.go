package invoke

import (
	"slices"
	"testing"
)

func TestImageEnv(t *testing.T) {
	image := []string{"PATH=/image/bin", "APP=1", "AWS_ENDPOINT_URL=http://old:4566", "AWS_LAMBDA_RUNTIME_API=nowhere:9", "AWS_REGION=eu-west-1"}
	lambda := []string{"PATH=/usr/bin", "AWS_REGION=us-east-1", "FN=2", "FN=3"}
	got := imageEnv(image, lambda)
	want := []string{"PATH=/image/bin", "AWS_REGION=us-east-1", "FN=2", "APP=1"}
	if !slices.Equal(got, want) {
		t.Errorf("imageEnv = %q, want %q", got, want)
	}
}
