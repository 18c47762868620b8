package esm

import "github.com/stratus-run/stratus/internal/lambda"

// The Lambda service is what main wires in as Functions.
var _ Functions = (*lambda.Service)(nil)
