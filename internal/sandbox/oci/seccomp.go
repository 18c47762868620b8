package oci

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// seccompProfile allows every system call but those that reach past the
// container's namespaces or into the kernel's administration: making namespaces
// (a user namespace would give the function capabilities inside it), keyrings,
// BPF, perf, module and mount calls. clone with a namespace flag is refused by its
// flags; clone3, whose flags sit behind a pointer seccomp cannot read, answers
// ENOSYS so that the C library falls back to clone, as Docker's default profile
// does.
func seccompProfile() *specs.LinuxSeccomp {
	eperm := uint(unix.EPERM)
	enosys := uint(unix.ENOSYS)
	p := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64},
		Syscalls: []specs.LinuxSyscall{
			{
				Names: []string{
					"unshare", "setns", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
					"userfaultfd", "mount", "umount", "umount2", "pivot_root", "chroot", "kexec_load",
					"kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
					"swapon", "swapoff", "open_by_handle_at", "name_to_handle_at", "fsopen", "fsmount",
					"fspick", "move_mount", "open_tree", "mount_setattr", "acct", "settimeofday",
					"clock_settime", "clock_adjtime", "adjtimex", "syslog", "quotactl",
				},
				Action:   specs.ActErrno,
				ErrnoRet: &eperm,
			},
			{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys},
		},
	}
	// x86-64 and arm64 pass clone's flags first: one rule per namespace flag, each
	// matching when that flag is set.
	for _, f := range []uint64{unix.CLONE_NEWUSER, unix.CLONE_NEWNS, unix.CLONE_NEWNET, unix.CLONE_NEWPID,
		unix.CLONE_NEWIPC, unix.CLONE_NEWUTS, unix.CLONE_NEWCGROUP} {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names: []string{"clone"}, Action: specs.ActErrno, ErrnoRet: &eperm,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: f, ValueTwo: f, Op: specs.OpMaskedEqual}},
		})
	}
	return p
}
