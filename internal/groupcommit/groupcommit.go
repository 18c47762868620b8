// Package groupcommit is the loop of a group committer: whatever writes are
// waiting when the committer gets free are committed together, so writers
// share one transaction and one sync, and a lone writer waits for nobody.
package groupcommit

// Run hands commit batches of what arrives on in, each as many as are
// waiting (at least one, at most max), until in is closed and drained. A
// batch slice is reused: commit must not keep it.
func Run[T any](in <-chan T, max int, commit func(batch []T)) {
	batch := make([]T, 0, max)
	for w := range in {
		batch = append(batch[:0], w)
	fill:
		for len(batch) < max {
			select {
			case w, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, w)
			default:
				break fill
			}
		}
		commit(batch)
	}
}
