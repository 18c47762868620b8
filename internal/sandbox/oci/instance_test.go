package oci

import "testing"

func TestOOMKills(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", 0},
		{"oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", 2},
		{"oom_kill_disable 1\nunder_oom 1\n", 0}, // an old kernel: no count
		{"oom_kill -3\n", 0},
		{"oom_kill x\n", 0},
		{"", 0},
	} {
		if got := oomKills([]byte(c.in)); got != c.want {
			t.Errorf("oomKills(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func FuzzOOMKills(f *testing.F) {
	f.Add([]byte("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"))
	f.Add([]byte("oom_kill 99999999999999999999\n"))
	f.Add([]byte("oom_kill"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := oomKills(b); n < 0 {
			t.Fatalf("oomKills(%q) = %d", b, n)
		}
	})
}

func TestCPUQuota(t *testing.T) {
	for _, c := range []struct {
		mb   int
		want int64
	}{{128, 7235}, {1769, 100000}, {3538, 200000}, {10240, 578858}, {1, 1000}} {
		if got := cpuQuota(c.mb); got != c.want {
			t.Errorf("cpuQuota(%d) = %d, want %d", c.mb, got, c.want)
		}
	}
}
