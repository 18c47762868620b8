package process_test

import (
	"testing"

	"github.com/stratus-run/stratus/internal/sandbox/process"
	"github.com/stratus-run/stratus/internal/sandbox/sandboxtest"
)

func TestConformance(t *testing.T) { sandboxtest.Run(t, &process.Sandbox{}) }
