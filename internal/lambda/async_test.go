package lambda

import (
	"testing"
	"time"
)

func TestAfterAttempt(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	far := now.Add(6 * time.Hour)
	cases := []struct {
		name      string
		attempts  int
		failed    bool
		maxRetry  int
		deadline  time.Time
		condition string
		retryAt   time.Time
	}{
		{"success first time", 1, false, 2, far, conditionSuccess, time.Time{}},
		{"success on the last retry", 3, false, 2, far, conditionSuccess, time.Time{}},
		{"first failure waits a minute", 1, true, 2, far, "", now.Add(time.Minute)},
		{"second failure waits two", 2, true, 2, far, "", now.Add(2 * time.Minute)},
		{"third failure is final", 3, true, 2, far, conditionRetriesExhausted, time.Time{}},
		{"no retries", 1, true, 0, far, conditionRetriesExhausted, time.Time{}},
		{"one retry", 2, true, 1, far, conditionRetriesExhausted, time.Time{}},
		{"retry past the deadline waits for it", 1, true, 2, now.Add(30 * time.Second), "", now.Add(30 * time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := afterAttempt(tc.attempts, tc.failed, tc.maxRetry, tc.deadline, time.Minute, now)
			if got.condition != tc.condition || !got.retryAt.Equal(tc.retryAt) {
				t.Errorf("got %+v, want condition %q retry at %v", got, tc.condition, tc.retryAt)
			}
		})
	}
}
