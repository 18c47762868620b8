package dynamodb

import (
	"context"
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// maxSegments is the largest TotalSegments DynamoDB accepts.
const maxSegments = 1000000

type scanInput struct {
	readInput
	ScanFilter    map[string]expr.LegacyCondition `json:"ScanFilter"`
	Segment       *int64                          `json:"Segment"`
	TotalSegments *int64                          `json:"TotalSegments"`
}

// checkSegments validates a parallel scan's Segment and TotalSegments.
func (in *scanInput) checkSegments() error {
	switch {
	case in.Segment != nil && in.TotalSegments == nil:
		return validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	case in.Segment == nil && in.TotalSegments != nil:
		return validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
	case in.Segment == nil:
		return nil
	}
	if *in.Segment < 0 {
		return awsproto.Validation(*in.Segment, "segment", "Member must have value greater than or equal to 0")
	}
	if *in.TotalSegments < 1 {
		return awsproto.Validation(*in.TotalSegments, "totalSegments", "Member must have value greater than or equal to 1")
	}
	if *in.TotalSegments > maxSegments {
		return awsproto.Validation(*in.TotalSegments, "totalSegments", fmt.Sprintf("Member must have value less than or equal to %d", maxSegments))
	}
	if *in.Segment >= *in.TotalSegments {
		return validation(fmt.Sprintf("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d",
			*in.Segment, *in.TotalSegments))
	}
	return nil
}

func (s *Service) scan(ctx context.Context, r *http.Request) (any, error) {
	var in scanInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := in.check("Scan"); err != nil {
		return nil, err
	}
	if err := in.checkSegments(); err != nil {
		return nil, err
	}
	legacy := presentParams("AttributesToGet", in.AttributesToGet != nil, "ScanFilter", in.ScanFilter != nil,
		"ConditionalOperator", in.ConditionalOperator != "")
	exprs := presentParams("ProjectionExpression", in.ProjectionExpression != nil, "FilterExpression", in.FilterExpression != nil)
	if err := checkMixed(legacy, exprs); err != nil {
		return nil, err
	}
	if err := in.placeholders.checkUse(len(exprs) > 0, in.FilterExpression != nil, "FilterExpression is null"); err != nil {
		return nil, err
	}
	p := in.params()
	var filter *expr.Condition
	var err error
	switch {
	case in.FilterExpression != nil:
		filter, err = expr.ParseCondition("FilterExpression", *in.FilterExpression, p)
	case in.ScanFilter != nil:
		filter, err = expr.FromConditions("ScanFilter", in.ScanFilter, in.ConditionalOperator)
	}
	if err != nil {
		return nil, err
	}
	pr, err := buildProjection(in.ProjectionExpression, in.AttributesToGet, p)
	if err != nil {
		return nil, err
	}
	if err := p.Unused(); err != nil {
		return nil, err
	}
	rd, err := s.plan(ctx, &in.readInput, "Scan")
	if err != nil {
		return nil, err
	}
	rd.filter, rd.pr = filter, pr
	if in.ExclusiveStartKey != nil {
		if err := checkStartKey(rd.t, rd.ix, in.ExclusiveStartKey); err != nil {
			return nil, err
		}
	}
	sc := tablestore.Scan{Table: rd.t.Name, Index: in.IndexName, Start: in.ExclusiveStartKey}
	if in.TotalSegments != nil {
		sc.Segment, sc.TotalSegments = int(*in.Segment), int(*in.TotalSegments)
	}
	visit, done := rd.visit()
	if err := s.Store.Scan(ctx, sc, visit); err != nil {
		return nil, err
	}
	return done(), nil
}
