package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// Main runs a benchmark command's run with the process's arguments and streams,
// cancelled by SIGINT or SIGTERM, and exits 1 with its error, prefixed by name.
func Main(name string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// ParseCounts reads a comma-separated list of client counts from 1 to most, as
// the --clients flags of the benchmark commands take them.
func ParseCounts(s string, most int) ([]int, error) {
	var counts []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > most {
			return nil, fmt.Errorf("--clients: %q is not a count from 1 to %d", f, most)
		}
		counts = append(counts, n)
	}
	return counts, nil
}
