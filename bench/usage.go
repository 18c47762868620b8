package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Use is what one party of a run has consumed so far.
type Use struct {
	CPU      time.Duration // user + system time, all threads
	Switches int64         // context switches, voluntary and not, all threads
}

// Usage is the Use of every party of a run. The difference of two samples,
// divided by the requests between them, tells where a request's cost goes without
// profiling the servers.
type Usage struct {
	Client    Use // this process: the load generator and its clients
	Stratus   Use // the stratus server process
	Functions Use // Stratus's live child processes: the function runtimes
	Raw       Use // the raw echo server
	// Machine is the busy time of all CPUs in process and hypervisor context
	// (/proc/stat user, nice, system, steal); what the parties above did not use
	// of it was other work. Interrupt time is left out: loopback traffic is mostly
	// handled there, often on an idle CPU, where no process is charged for it.
	Machine time.Duration
}

// userHZ is the kernel's USER_HZ, the unit of /proc/<pid>/stat times; it is 100
// on every Linux architecture Stratus supports.
const userHZ = 100

// Usage samples every party. The servers' CPU times come from /proc in 10 ms
// ticks, so a sample is meaningful over runs of a second or more. Function
// runtimes that exited since the last sample, and threads that ended, are not
// counted.
func (r *Rig) Usage() (Usage, error) {
	var u Usage
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return u, fmt.Errorf("bench: getrusage: %w", err)
	}
	u.Client = Use{CPU: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), Switches: ru.Nvcsw + ru.Nivcsw}
	var err error
	if u.Machine, err = machineBusy(); err != nil {
		return u, err
	}
	if u.Stratus, _, err = procUse(r.Stratus.Pid()); err != nil {
		return u, err
	}
	if u.Raw, _, err = procUse(r.Raw.Pid()); err != nil {
		return u, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return u, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if use, ppid, err := procUse(pid); err == nil && ppid == r.Stratus.Pid() {
			u.Functions.CPU += use.CPU
			u.Functions.Switches += use.Switches
		}
	}
	return u, nil
}

// Sub returns u - o.
func (u Usage) Sub(o Usage) Usage {
	sub := func(a, b Use) Use { return Use{CPU: a.CPU - b.CPU, Switches: a.Switches - b.Switches} }
	return Usage{Client: sub(u.Client, o.Client), Stratus: sub(u.Stratus, o.Stratus),
		Functions: sub(u.Functions, o.Functions), Raw: sub(u.Raw, o.Raw), Machine: u.Machine - o.Machine}
}

// Add returns u + o.
func (u Usage) Add(o Usage) Usage {
	add := func(a, b Use) Use { return Use{CPU: a.CPU + b.CPU, Switches: a.Switches + b.Switches} }
	return Usage{Client: add(u.Client, o.Client), Stratus: add(u.Stratus, o.Stratus),
		Functions: add(u.Functions, o.Functions), Raw: add(u.Raw, o.Raw), Machine: u.Machine + o.Machine}
}

// Others is the CPU time other work on the machine took: Machine less the
// parties' CPU.
func (u Usage) Others() time.Duration {
	return u.Machine - u.Client.CPU - u.Stratus.CPU - u.Functions.CPU - u.Raw.CPU
}

// machineBusy sums the user, nice, system and steal times of the "cpu" line of
// /proc/stat (guest time is already in user).
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, fmt.Errorf("bench: /proc/stat: unexpected %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 8} { // user nice system (idle iowait irq softirq) steal
		n, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// procUse reads a process's use and parent from /proc: utime + stime from
// /proc/<pid>/stat, the context switches of each thread from its status.
func procUse(pid int) (use Use, ppid int, err error) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return use, 0, err
	}
	// The command name (field 2) may hold spaces and parentheses; the fields
	// that follow start after its last ')'. There, field 3 is index 0.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return use, 0, fmt.Errorf("bench: %s/stat: no command", dir)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return use, 0, fmt.Errorf("bench: %s/stat: %d fields", dir, len(f))
	}
	ppid, err1 := strconv.Atoi(string(f[4-3]))
	utime, err2 := strconv.ParseInt(string(f[14-3]), 10, 64)
	stime, err3 := strconv.ParseInt(string(f[15-3]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return use, 0, fmt.Errorf("bench: %s/stat: bad fields", dir)
	}
	use.CPU = time.Duration(utime+stime) * time.Second / userHZ
	tasks, _ := filepath.Glob(dir + "/task/*/status")
	for _, t := range tasks {
		s, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		for line := range bytes.SplitSeq(s, []byte("\n")) {
			k, v, ok := bytes.Cut(line, []byte(":"))
			if ok && (bytes.Equal(k, []byte("voluntary_ctxt_switches")) || bytes.Equal(k, []byte("nonvoluntary_ctxt_switches"))) {
				n, _ := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
				use.Switches += n
			}
		}
	}
	return use, ppid, nil
}
