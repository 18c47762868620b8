package groupcommit

import (
	"sync"
	"testing"
)

func TestRunBatchesWhatWaits(t *testing.T) {
	in := make(chan int, 10)
	for i := range 10 {
		in <- i
	}
	close(in)
	var sizes []int
	var got []int
	Run(in, 4, func(b []int) {
		sizes = append(sizes, len(b))
		got = append(got, b...)
	})
	if len(got) != 10 || sizes[0] != 4 || sizes[1] != 4 || sizes[2] != 2 {
		t.Errorf("batches %v of %v", sizes, got)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("order %v", got)
		}
	}
}

func TestRunLoneWriterWaitsForNobody(t *testing.T) {
	in := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	done := make(chan []int, 1)
	go func() {
		defer wg.Done()
		Run(in, 8, func(b []int) { done <- append([]int(nil), b...) })
	}()
	in <- 7
	if b := <-done; len(b) != 1 || b[0] != 7 {
		t.Errorf("batch %v", b)
	}
	close(in)
	wg.Wait()
}
