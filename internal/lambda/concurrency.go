package lambda

import (
	"net/http"
	"strconv"

	"github.com/stratus-run/stratus/internal/awsproto"
)

type concurrencyOutput struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

type putConcurrencyInput struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
}

// minUnreserved is how much of the account's concurrency Lambda keeps for functions
// without a reservation.
func (s *Service) minUnreserved() int {
	return min(100, s.Engine.AccountConcurrency)
}

// putFunctionConcurrency is PutFunctionConcurrency.
func (s *Service) putFunctionConcurrency(w http.ResponseWriter, r *http.Request, p params) error {
	var in putConcurrencyInput
	if err := decodeBody(r, 1<<16, "PutFunctionConcurrency", &in); err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil {
		return mustNotBeNull("reservedConcurrentExecutions")
	}
	n := *in.ReservedConcurrentExecutions
	if n < 0 {
		return awsproto.Validation(n, "reservedConcurrentExecutions", "Member must have value greater than or equal to 0")
	}
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	if q != "" {
		return errUnqualifiedOnly
	}
	others := s.reservedTotal()
	if e.rec.Reserved != nil {
		others -= *e.rec.Reserved
	}
	if s.Engine.AccountConcurrency-others-n < s.minUnreserved() {
		return invalidParameter("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [" + strconv.Itoa(s.minUnreserved()) + "].")
	}
	rec := e.rec
	rec.Reserved = &n
	if _, err := s.save(r.Context(), e, rec); err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, concurrencyOutput{ReservedConcurrentExecutions: &n})
	return nil
}

// getFunctionConcurrency is GetFunctionConcurrency: {} when none is reserved.
func (s *Service) getFunctionConcurrency(w http.ResponseWriter, r *http.Request, p params) error {
	e, _, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, concurrencyOutput{ReservedConcurrentExecutions: e.rec.Reserved})
	return nil
}

// deleteFunctionConcurrency is DeleteFunctionConcurrency.
func (s *Service) deleteFunctionConcurrency(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	if q != "" {
		return errUnqualifiedOnly
	}
	if e.rec.Reserved != nil {
		rec := e.rec
		rec.Reserved = nil
		if _, err := s.save(r.Context(), e, rec); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type accountSettings struct {
	AccountLimit struct {
		TotalCodeSize                  int64 `json:"TotalCodeSize"`
		CodeSizeUnzipped               int64 `json:"CodeSizeUnzipped"`
		CodeSizeZipped                 int64 `json:"CodeSizeZipped"`
		ConcurrentExecutions           int   `json:"ConcurrentExecutions"`
		UnreservedConcurrentExecutions int   `json:"UnreservedConcurrentExecutions"`
	} `json:"AccountLimit"`
	AccountUsage struct {
		TotalCodeSize int64 `json:"TotalCodeSize"`
		FunctionCount int   `json:"FunctionCount"`
	} `json:"AccountUsage"`
}

// getAccountSettings is GetAccountSettings, with Lambda's default quotas and this
// server's concurrency limit.
func (s *Service) getAccountSettings(w http.ResponseWriter, r *http.Request, _ params) error {
	region := awsproto.Info(r.Context()).Region
	var out accountSettings
	out.AccountLimit.TotalCodeSize = 80530636800
	out.AccountLimit.CodeSizeUnzipped = 262144000
	out.AccountLimit.CodeSizeZipped = 52428800
	out.AccountLimit.ConcurrentExecutions = s.Engine.AccountConcurrency
	out.AccountLimit.UnreservedConcurrentExecutions = s.Engine.AccountConcurrency - s.reservedTotal()
	s.mu.RLock()
	for _, e := range s.cache {
		if !e.deleted && e.rec.Region == region {
			out.AccountUsage.FunctionCount++
			out.AccountUsage.TotalCodeSize += e.rec.CodeSize
		}
	}
	// Every published version's package counts towards the code storage, as in Lambda.
	for _, ve := range s.vcache {
		if !ve.deleted && ve.rec.Region == region {
			out.AccountUsage.TotalCodeSize += ve.rec.CodeSize
		}
	}
	s.mu.RUnlock()
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}
