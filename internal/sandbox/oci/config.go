package oci

import (
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// Lambda's sandbox user, sbx_user1051, as its runtimes report it.
const (
	uid = 993
	gid = 990
)

const (
	// mbPerVCPU is how much memory buys one vCPU in Lambda.
	mbPerVCPU = 1769
	// cpuPeriod is the CFS period (µs) the CPU quota is a share of.
	cpuPeriod = 100_000
	maxPids   = 1024
	maxFiles  = 1024
	// defaultTmpMB is Lambda's default EphemeralStorage.
	defaultTmpMB = 512
)

// cpuQuota is the CFS quota (µs per cpuPeriod) for a function of memMB: one vCPU
// per 1,769 MB, as in Lambda, and never less than 1 ms per period (the kernel's
// floor).
func cpuQuota(memMB int) int64 {
	return max(int64(memMB)*cpuPeriod/mbPerVCPU, 1000)
}

// cpuShares is the CPU weight of a function of memMB, 1,024 per vCPU.
func cpuShares(memMB int) int { return max(memMB*1024/mbPerVCPU, 2) }

// initShares is the CPU weight during init: any process's default, as Lambda
// gives init a burst. With a 128 MB function's weight (74) from the start, a
// cold start on a busy machine waited behind every other process.
const initShares = 1024

// config is the OCI runtime configuration of one environment.
// An image root (spec.Root) must have been through prepareImageRoot; resolv
// says whether to mount the host's resolv.conf into it.
func (s *Sandbox) config(spec sandbox.Spec, ns *netns, cgroup string, resolv bool) *specs.Spec {
	memBytes := int64(spec.MemoryMB) << 20
	period := uint64(cpuPeriod)
	shares := uint64(initShares)
	pids := int64(maxPids)
	noCaps := []string{}
	mounts := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=64k"}},
		// /tmp is the one writable place, sized by EphemeralStorage: a tmpfs
		// unless the caller binds a disk there (setTmp).
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=" + strconv.Itoa(tmpMB(spec)) + "m"}},
	}
	root, cwd := s.rootfs, "/var/task"
	if spec.Root != "" {
		// An image brings its own root: none of the host's runtime directories,
		// only the name servers when it has outbound network (as Lambda gives
		// its own resolver to image functions too).
		root, cwd = spec.Root, "/"
		if resolv {
			mounts = append(mounts, bind(resolvConf, resolvConf))
		}
	} else {
		mounts = append(mounts, s.hostMounts...)
		mounts = append(mounts, bind(spec.CodeDir, "/var/task"))
		if spec.OptDir != "" {
			mounts = append(mounts, bind(spec.OptDir, "/opt"))
		}
		for i, d := range s.Shared {
			mounts = append(mounts, bind(d, sharedAt(i)))
		}
	}
	if spec.Cwd != "" {
		cwd = spec.Cwd
	}
	namespaces := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace}, {Type: specs.NetworkNamespace, Path: ns.path()},
	}
	mem := &specs.LinuxMemory{Limit: &memBytes}
	if s.swapAccounting {
		mem.Swap = &memBytes // memory+swap: no swapping past the limit
	}
	return &specs.Spec{
		Version:  "1.0.2", // the newest that crun 1.8 and runc 1.1 accept
		Hostname: "localhost",
		Root:     &specs.Root{Path: root, Readonly: true},
		Process: &specs.Process{
			User: specs.User{UID: uid, GID: gid},
			Args: s.insidePaths(spec.Command),
			Env:  spec.Env,
			Cwd:  cwd,
			Capabilities: &specs.LinuxCapabilities{
				Bounding: noCaps, Effective: noCaps, Permitted: noCaps, Inheritable: noCaps, Ambient: noCaps,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: maxFiles, Soft: maxFiles}},
			NoNewPrivileges: true,
		},
		Mounts: mounts,
		Linux: &specs.Linux{
			CgroupsPath: cgroup,
			Seccomp:     seccompProfile(),
			Namespaces:  namespaces,
			Resources: &specs.LinuxResources{
				Memory: mem,
				// No quota and a default weight yet: init runs with a burst, as
				// Lambda's; InitDone sets the function's weight and quota once the
				// runtime asks for its first event.
				CPU:     &specs.LinuxCPU{Period: &period, Shares: &shares},
				Pids:    &specs.LinuxPids{Limit: &pids},
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
			},
			ReadonlyPaths: []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
		},
	}
}

// tmpMB is the size of spec's /tmp.
func tmpMB(spec sandbox.Spec) int {
	if spec.EphemeralMB <= 0 {
		return defaultTmpMB
	}
	return spec.EphemeralMB
}

// setTmp makes conf's /tmp a bind of src with options.
func setTmp(conf *specs.Spec, src string, options ...string) {
	for i, m := range conf.Mounts {
		if m.Destination == "/tmp" {
			conf.Mounts[i] = specs.Mount{Destination: "/tmp", Type: "bind", Source: src, Options: options}
		}
	}
}

// bind mounts a host path read-only.
func bind(src, dst string) specs.Mount {
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: []string{"rbind", "ro", "nosuid", "nodev"}}
}

// sharedAt is where the i-th shared directory appears inside: under Lambda's own
// /var/runtime, so that no host path (the data directory's) shows.
func sharedAt(i int) string { return "/var/runtime/stratus/" + strconv.Itoa(i) }

// insidePaths rewrites the shared directories' host paths in args (a runtime's
// command names its client under the data directory) to where they are mounted.
func (s *Sandbox) insidePaths(args []string) []string {
	out := make([]string, len(args))
	for j, a := range args {
		for i, d := range s.Shared {
			if a == d {
				a = sharedAt(i)
			} else {
				a = strings.ReplaceAll(a, d+"/", sharedAt(i)+"/")
			}
		}
		out[j] = a
	}
	return out
}
