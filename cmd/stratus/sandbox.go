package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/stratus-run/stratus/internal/sandbox"
	"github.com/stratus-run/stratus/internal/sandbox/oci"
	"github.com/stratus-run/stratus/internal/sandbox/process"
)

// openSandbox builds the sandbox --sandbox names. auto takes oci when an OCI
// runtime is installed and passes its startup probe, and otherwise process,
// saying why: functions then run unisolated.
func (m *Main) openSandbox(logger *slog.Logger) (sandbox.Sandbox, error) {
	switch m.SandboxKind {
	case "process":
		return m.processSandbox(logger), nil
	case "oci", "auto":
	default:
		return nil, fmt.Errorf("--sandbox must be oci, process or auto, not %q", m.SandboxKind)
	}
	sb := &oci.Sandbox{
		StateDir: filepath.Join(m.DataDir, "oci"),
		Shared:   []string{filepath.Join(m.DataDir, "runtimes")},
		Pool:     m.SandboxPool,
		Logger:   logger,
	}
	// The Java runtime client is compiled into the user's cache directory, shared
	// by every server of the machine; make it exist so that it can be mounted.
	if d, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(d, "stratus")
		if os.MkdirAll(dir, 0o755) == nil {
			sb.Shared = append(sb.Shared, dir)
		}
	}
	if err := os.MkdirAll(sb.Shared[0], 0o755); err != nil {
		return nil, err
	}
	if m.FunctionNetwork == "outbound" {
		sb.OutboundRange = m.FunctionRange
	}
	err := sb.Open()
	if err == nil {
		if sb.OutboundRange.IsValid() {
			warnNameservers(logger)
		}
		return sb, nil
	}
	if m.SandboxKind == "oci" {
		return nil, fmt.Errorf("--sandbox oci: %w", err)
	}
	logger.Warn("the oci sandbox is unavailable; functions run as plain processes, NOT ISOLATED from each other or the host (install crun and run as root for isolation, or pass --sandbox process to silence this)", "err", err)
	return m.processSandbox(logger), nil
}

// processSandbox is the process sandbox, whose functions share the host's
// network whatever --function-network says.
func (m *Main) processSandbox(logger *slog.Logger) sandbox.Sandbox {
	if m.FunctionNetwork != "none" {
		logger.Info("--function-network has no effect in the process sandbox: functions use the host's network as they are", "function_network", m.FunctionNetwork)
	}
	return &process.Sandbox{}
}

// warnNameservers says when the host's resolv.conf, which environments with
// outbound network get, names a name server they cannot reach: one on the host's
// loopback (inside, the loopback is their own) or at the host's own address
// (the host drops what they send it). Names then do not resolve inside.
func warnNameservers(logger *slog.Logger) {
	conf, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		logger.Warn("functions get no /etc/resolv.conf, so no name resolution", "err", err)
		return
	}
	var host []netip.Addr
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					host = append(host, ip.Unmap())
				}
			}
		}
	}
	if ns := oci.UnreachableNameservers(conf, host); len(ns) > 0 {
		logger.Warn("/etc/resolv.conf names name servers on the host itself, which functions cannot reach (their loopback is their own, and the host drops what they send it): names will not resolve inside functions unless another name server is listed (for systemd-resolved, /run/systemd/resolve/resolv.conf lists the upstream ones)", "nameservers", strings.Join(ns, " "))
	}
}
