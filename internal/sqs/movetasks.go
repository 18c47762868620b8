package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Message move task statuses, as SQS reports them. A task starts RUNNING and
// ends in one of the others; moveTask.finish refuses any other transition.
const (
	taskRunning   = "RUNNING"
	taskCompleted = "COMPLETED"
	taskCancelled = "CANCELLED"
	taskFailed    = "FAILED"
)

// moveTasks is the message move tasks the service has started, newest last
// per source queue ARN. Tasks live in memory: a restart forgets them and
// stops a running one, the messages not moved yet staying in the source.
type moveTasks struct {
	mu       sync.Mutex // guards bySource and every task's mutable fields; taken after no queue's mu
	bySource map[string][]*moveTask
	ctx      context.Context // cancelled by Close
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// keptTasks is how many finished tasks per source ListMessageMoveTasks can
// still show (its MaxResults is at most 10).
const keptTasks = 10

type moveTask struct {
	id, source, dest string
	rate             int // messages per second, 0 for as fast as it goes
	started          int64
	toMove           int
	// guarded by moveTasks.mu
	status string
	moved  int
	reason string
}

// finishLocked ends a running task; false when it already ended.
func (t *moveTask) finishLocked(status, reason string) bool {
	if t.status != taskRunning {
		return false
	}
	t.status, t.reason = status, reason
	return true
}

type taskHandle struct {
	TaskID    string `json:"taskId"`
	SourceArn string `json:"sourceArn"`
}

func (t *moveTask) handle() string {
	b, _ := json.Marshal(taskHandle{t.id, t.source})
	return base64.StdEncoding.EncodeToString(b)
}

var errNoOrigin = errors.New("message has no source queue to return to")

type startMoveOutput struct {
	TaskHandle string `json:"TaskHandle" xml:"TaskHandle"`
}

func (o *startMoveOutput) xml() any { return o }

func (s *Service) startMessageMoveTask(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.SourceArn == "" {
		return nil, missingParameter("SourceArn")
	}
	src, err := s.queueByARN(in.SourceArn)
	if err != nil {
		return nil, resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if len(s.dlqSources(in.SourceArn)) == 0 {
		return nil, invalidParameter("Source queue must be configured as a Dead Letter Queue.")
	}
	if in.DestinationArn != "" {
		if _, err := s.queueByARN(in.DestinationArn); err != nil {
			return nil, resourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
	}
	rate := 0
	if in.MaxMovesPerSecond != nil {
		rate = *in.MaxMovesPerSecond
		if rate < 1 || rate > 500 {
			return nil, invalidParameter("Value " + itoa(rate) + " for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.")
		}
	}
	src.mu.Lock()
	now := s.nowMS()
	var seqs []uint64
	for _, seq := range src.order {
		if m, ok := src.msgs[seq]; ok && m.visAt <= now {
			seqs = append(seqs, seq)
		}
	}
	src.mu.Unlock()
	t := &moveTask{id: newID(), source: in.SourceArn, dest: in.DestinationArn, rate: rate, started: now, toMove: len(seqs), status: taskRunning}
	mt := s.tasks
	mt.mu.Lock()
	list := mt.bySource[in.SourceArn]
	if n := len(list); n > 0 && list[n-1].status == taskRunning {
		mt.mu.Unlock()
		return nil, invalidParameter("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
	}
	if len(list) >= keptTasks {
		list = list[1:]
	}
	mt.bySource[in.SourceArn] = append(list, t)
	mt.wg.Add(1)
	mt.mu.Unlock()
	go func() {
		defer mt.wg.Done()
		s.runMove(mt.ctx, t, src, seqs)
	}()
	return &startMoveOutput{t.handle()}, nil
}

// runMove moves seqs from src one at a time, at most t.rate a second, until
// done, cancelled or failed. A message is stored in its destination before it
// is deleted from src, so a crash between the two duplicates, never loses.
func (s *Service) runMove(ctx context.Context, t *moveTask, src *queue, seqs []uint64) {
	mt := s.tasks
	var tick *time.Ticker
	if t.rate > 0 {
		tick = time.NewTicker(time.Second / time.Duration(t.rate))
		defer tick.Stop()
	}
	for i, seq := range seqs {
		if i > 0 && tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		mt.mu.Lock()
		running := t.status == taskRunning
		mt.mu.Unlock()
		if !running {
			return
		}
		if ctx.Err() != nil {
			mt.mu.Lock()
			t.finishLocked(taskFailed, "The service stopped.")
			mt.mu.Unlock()
			return
		}
		moved, err := s.moveOne(ctx, t, src, seq)
		mt.mu.Lock()
		if err != nil {
			t.finishLocked(taskFailed, err.Error())
			mt.mu.Unlock()
			return
		}
		if moved {
			t.moved++
		}
		mt.mu.Unlock()
	}
	mt.mu.Lock()
	t.finishLocked(taskCompleted, "")
	mt.mu.Unlock()
}

// moveOne moves the message seq of src to t's destination (or back to the
// queue that dead-lettered it). moved is false when the message is gone or
// in flight: it is not the task's to move any more.
func (s *Service) moveOne(ctx context.Context, t *moveTask, src *queue, seq uint64) (moved bool, err error) {
	src.mu.Lock()
	m := src.msgs[seq]
	if m == nil || m.visAt > s.nowMS() || src.gone {
		src.mu.Unlock()
		return false, nil
	}
	destARN := t.dest
	if destARN == "" {
		destARN = m.rec.Origin
	}
	src.mu.Unlock()
	if destARN == "" {
		return false, errNoOrigin
	}
	// Looked up with src.mu released: s.mu is never taken after a queue's
	// (deleteQueue takes them in the other order).
	dest, err := s.queueByARN(destARN)
	if err != nil {
		return false, errors.New("destination queue " + destARN + " does not exist")
	}
	src.mu.Lock()
	if src.msgs[seq] != m || m.visAt > s.nowMS() || src.gone {
		// Received, deleted or gone with its queue meanwhile.
		src.mu.Unlock()
		return false, nil
	}
	rec := m.rec
	// Out of the index first, so no receive takes it while it moves.
	src.removeLocked(seq)
	src.mu.Unlock()
	rec.VisibleAt, rec.Origin = 0, ""
	if _, err := s.enqueue(ctx, dest, []record{rec}); err != nil {
		src.mu.Lock()
		src.addLocked(seq, m.rec)
		src.mu.Unlock()
		return false, errors.New("storing into " + destARN + " failed")
	}
	if err := s.msgs.Delete(ctx, []uint64{seq}); err != nil {
		return true, errors.New("deleting from the source queue failed")
	}
	return true, nil
}

type cancelMoveOutput struct {
	Moved int64 `json:"ApproximateNumberOfMessagesMoved" xml:"ApproximateNumberOfMessagesMoved"`
}

func (o *cancelMoveOutput) xml() any { return o }

func (s *Service) cancelMessageMoveTask(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.TaskHandle == "" {
		return nil, missingParameter("TaskHandle")
	}
	notFound := resourceNotFound("Task does not exist.")
	b, err := base64.StdEncoding.DecodeString(in.TaskHandle)
	var h taskHandle
	if err != nil || json.Unmarshal(b, &h) != nil {
		return nil, notFound
	}
	mt := s.tasks
	mt.mu.Lock()
	defer mt.mu.Unlock()
	for _, t := range mt.bySource[h.SourceArn] {
		if t.id != h.TaskID {
			continue
		}
		if !t.finishLocked(taskCancelled, "") {
			return nil, invalidParameter("Only tasks with status RUNNING can be cancelled.")
		}
		return &cancelMoveOutput{int64(t.moved)}, nil
	}
	return nil, notFound
}

type moveTaskEntry struct {
	TaskHandle     string `json:"TaskHandle,omitempty" xml:"TaskHandle,omitempty"`
	Status         string `json:"Status" xml:"Status"`
	SourceArn      string `json:"SourceArn" xml:"SourceArn"`
	DestinationArn string `json:"DestinationArn,omitempty" xml:"DestinationArn,omitempty"`
	Rate           int    `json:"MaxNumberOfMessagesPerSecond,omitempty" xml:"MaxNumberOfMessagesPerSecond,omitempty"`
	Moved          int64  `json:"ApproximateNumberOfMessagesMoved" xml:"ApproximateNumberOfMessagesMoved"`
	ToMove         int64  `json:"ApproximateNumberOfMessagesToMove" xml:"ApproximateNumberOfMessagesToMove"`
	FailureReason  string `json:"FailureReason,omitempty" xml:"FailureReason,omitempty"`
	Started        int64  `json:"StartedTimestamp" xml:"StartedTimestamp"`
}

type listMovesOutput struct {
	Results []moveTaskEntry `json:"Results"`
}

func (o *listMovesOutput) xml() any {
	return &struct {
		Results []moveTaskEntry `xml:"ListMessageMoveTasksResultEntry"`
	}{o.Results}
}

func (s *Service) listMessageMoveTasks(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.SourceArn == "" {
		return nil, missingParameter("SourceArn")
	}
	if _, err := s.queueByARN(in.SourceArn); err != nil {
		return nil, resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	max := 1
	if in.MaxResults != nil {
		max = *in.MaxResults
		if max < 1 || max > 10 {
			return nil, invalidParameter("Value " + itoa(max) + " for parameter MaxResults is invalid. Reason: Must be between 1 and 10.")
		}
	}
	mt := s.tasks
	mt.mu.Lock()
	defer mt.mu.Unlock()
	out := &listMovesOutput{Results: []moveTaskEntry{}}
	list := mt.bySource[in.SourceArn]
	for i := len(list) - 1; i >= 0 && len(out.Results) < max; i-- {
		t := list[i]
		e := moveTaskEntry{Status: t.status, SourceArn: t.source, DestinationArn: t.dest, Rate: t.rate,
			Moved: int64(t.moved), ToMove: int64(t.toMove), FailureReason: t.reason, Started: t.started}
		if t.status == taskRunning {
			e.TaskHandle = t.handle()
		}
		out.Results = append(out.Results, e)
	}
	return out, nil
}
