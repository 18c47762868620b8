package dynamodb

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// The describe calls that the aws CLI, SDKs, Terraform and CloudFormation make
// beside the table operations, answered as for a table that has none of those
// features on (or point in time recovery as it was set).

func (s *Service) miscOps(name string) op {
	switch name {
	case "DescribeLimits":
		return s.describeLimits
	case "DescribeEndpoints":
		return s.describeEndpoints
	case "DescribeContinuousBackups":
		return s.describeContinuousBackups
	case "UpdateContinuousBackups":
		return s.updateContinuousBackups
	case "DescribeContributorInsights":
		return s.describeContributorInsights
	case "DescribeKinesisStreamingDestination":
		return s.describeKinesisStreamingDestination
	}
	return nil
}

// DescribeLimits answers the default quotas of an account in a region.
func (s *Service) describeLimits(ctx context.Context, r *http.Request) (any, error) {
	return map[string]int64{
		"AccountMaxReadCapacityUnits":  80000,
		"AccountMaxWriteCapacityUnits": 80000,
		"TableMaxReadCapacityUnits":    40000,
		"TableMaxWriteCapacityUnits":   40000,
	}, nil
}

// describeEndpoints names the host the request came to, so an SDK with
// endpoint discovery on keeps talking to this server.
func (s *Service) describeEndpoints(ctx context.Context, r *http.Request) (any, error) {
	host := r.Host
	if host == "" {
		host = "dynamodb." + s.Region + ".amazonaws.com"
	}
	return map[string]any{"Endpoints": []map[string]any{{"Address": host, "CachePeriodInMinutes": 1440}}}, nil
}

// Point in time recovery is kept in the table's SSE map under these keys
// (never shown in SSEDescription) since tablestore.Table has no field of its
// own for it; the status is ENABLED or absent, since the time it was turned
// on and the recovery period in days.
const (
	pitrStatusKey = "\x00pitr"
	pitrSinceKey  = "\x00pitrSince"
	pitrDaysKey   = "\x00pitrDays"
)

type pitrDescription struct {
	PointInTimeRecoveryStatus  string `json:"PointInTimeRecoveryStatus"`
	RecoveryPeriodInDays       int    `json:"RecoveryPeriodInDays,omitempty"`
	EarliestRestorableDateTime *epoch `json:"EarliestRestorableDateTime,omitempty"`
	LatestRestorableDateTime   *epoch `json:"LatestRestorableDateTime,omitempty"`
}

type continuousBackups struct {
	ContinuousBackupsStatus        string          `json:"ContinuousBackupsStatus"`
	PointInTimeRecoveryDescription pitrDescription `json:"PointInTimeRecoveryDescription"`
}

func (s *Service) backupsOf(t *tablestore.Table) map[string]any {
	d := continuousBackups{ContinuousBackupsStatus: "ENABLED", PointInTimeRecoveryDescription: pitrDescription{PointInTimeRecoveryStatus: "DISABLED"}}
	if t.SSE[pitrStatusKey] == "ENABLED" {
		p := &d.PointInTimeRecoveryDescription
		p.PointInTimeRecoveryStatus = "ENABLED"
		p.RecoveryPeriodInDays, _ = strconv.Atoi(t.SSE[pitrDaysKey])
		now := s.Now()
		since := now
		if ms, err := strconv.ParseInt(t.SSE[pitrSinceKey], 10, 64); err == nil {
			since = time.UnixMilli(ms)
		}
		if floor := now.AddDate(0, 0, -p.RecoveryPeriodInDays); since.Before(floor) {
			since = floor
		}
		earliest, latest := epoch(since), epoch(now.Add(-5*time.Minute))
		if time.Time(latest).Before(since) {
			latest = epoch(since)
		}
		p.EarliestRestorableDateTime, p.LatestRestorableDateTime = &earliest, &latest
	}
	return map[string]any{"ContinuousBackupsDescription": d}
}

func (s *Service) describeContinuousBackups(ctx context.Context, r *http.Request) (any, error) {
	var in tableNameInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := checkTableName(in.TableName); err != nil {
		return nil, err
	}
	t, err := s.Store.Table(ctx, *in.TableName)
	if errors.Is(err, tablestore.ErrTableNotFound) {
		return nil, errBackupsTableNotFound(*in.TableName)
	}
	if err != nil {
		return nil, err
	}
	return s.backupsOf(&t), nil
}

type updateBackupsInput struct {
	TableName                        *string `json:"TableName"`
	PointInTimeRecoverySpecification *struct {
		PointInTimeRecoveryEnabled *bool `json:"PointInTimeRecoveryEnabled"`
		RecoveryPeriodInDays       *int  `json:"RecoveryPeriodInDays"`
	} `json:"PointInTimeRecoverySpecification"`
}

func (s *Service) updateContinuousBackups(ctx context.Context, r *http.Request) (any, error) {
	var in updateBackupsInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	fe.checkName(in.TableName, "tableName", true)
	spec := in.PointInTimeRecoverySpecification
	if spec == nil {
		fe.add(nil, "pointInTimeRecoverySpecification", notNull)
	} else {
		if spec.PointInTimeRecoveryEnabled == nil {
			fe.add(nil, "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled", notNull)
		}
		if d := spec.RecoveryPeriodInDays; d != nil && *d < 1 {
			fe.add(*d, "pointInTimeRecoverySpecification.recoveryPeriodInDays", minValue(1))
		} else if d != nil && *d > 35 {
			fe.add(*d, "pointInTimeRecoverySpecification.recoveryPeriodInDays", maxValue(35))
		}
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	on := *spec.PointInTimeRecoveryEnabled
	if !on && spec.RecoveryPeriodInDays != nil {
		return nil, validation("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.")
	}
	now := s.Now()
	t, err := s.Store.UpdateTable(ctx, *in.TableName, func(t *tablestore.Table) error {
		sse := make(map[string]string, len(t.SSE)+3)
		for k, v := range t.SSE {
			sse[k] = v
		}
		if !on {
			delete(sse, pitrStatusKey)
			delete(sse, pitrSinceKey)
			delete(sse, pitrDaysKey)
		} else {
			days := 35
			if spec.RecoveryPeriodInDays != nil {
				days = *spec.RecoveryPeriodInDays
			}
			if sse[pitrStatusKey] != "ENABLED" {
				sse[pitrSinceKey] = strconv.FormatInt(now.UnixMilli(), 10)
			}
			sse[pitrStatusKey], sse[pitrDaysKey] = "ENABLED", strconv.Itoa(days)
		}
		t.SSE = sse
		return nil
	})
	if errors.Is(err, tablestore.ErrTableNotFound) {
		return nil, errBackupsTableNotFound(*in.TableName)
	}
	if err != nil {
		return nil, err
	}
	return s.backupsOf(&t), nil
}

func (s *Service) describeContributorInsights(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		TableName *string `json:"TableName"`
		IndexName *string `json:"IndexName"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := checkTableName(in.TableName); err != nil {
		return nil, err
	}
	if _, err := s.table(ctx, *in.TableName); err != nil {
		return nil, err
	}
	out := map[string]any{"TableName": *in.TableName, "ContributorInsightsStatus": "DISABLED"}
	if in.IndexName != nil {
		out["IndexName"] = *in.IndexName
	}
	return out, nil
}

func (s *Service) describeKinesisStreamingDestination(ctx context.Context, r *http.Request) (any, error) {
	var in tableNameInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := checkTableName(in.TableName); err != nil {
		return nil, err
	}
	if _, err := s.table(ctx, *in.TableName); err != nil {
		return nil, err
	}
	return map[string]any{"TableName": *in.TableName, "KinesisDataStreamDestinations": []any{}}, nil
}
