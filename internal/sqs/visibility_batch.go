package sqs

import (
	"context"
	"net/http"
)

func (s *Service) changeVisibilityBatch(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkBatch(in.Entries); err != nil {
		return nil, err
	}
	out := &settleBatchOutput{Successful: []idOnly{}, Failed: []batchError{}, entryName: "ChangeMessageVisibilityBatchResultEntry"}
	for _, e := range in.Entries {
		err := error(nil)
		switch {
		case e.ReceiptHandle == nil:
			err = missingParameter("ReceiptHandle")
		case e.VisibilityTimeout == nil:
			err = missingParameter("VisibilityTimeout")
		default:
			err = s.changeOne(q, *e.ReceiptHandle, *e.VisibilityTimeout)
		}
		if err != nil {
			out.Failed = append(out.Failed, failure(e.ID, err))
			continue
		}
		out.Successful = append(out.Successful, idOnly{e.ID})
	}
	return out, nil
}
