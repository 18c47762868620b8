package oci

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Each Sandbox has an nftables table of its own, named by its container id
// prefix ("stratus-<pid>-<random>"): one server's Close leaves the others' rules
// in place, and a dead server's table is known by its pid.

// rules is one server's nftables table (family inet, so that IPv6 is covered too):
//
//	input:       from an environment's link, only replies to the host's own connections
//	forward:     no IPv6 out of an environment; into an environment only replies, so
//	             nothing new between environments (of any server) nor from outside
//	postrouting: the range's traffic leaving by another link is masqueraded
//
// The filters match every link named linkPrefix*, so any server's rules protect
// every server's environments.
type rules struct{ table *nftables.Table }

// installRules removes the tables of dead servers and installs this one's, named
// name.
func installRules(rng netip.Prefix, name string) (*rules, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("oci: outbound: nftables: %w", err)
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, fmt.Errorf("oci: outbound: nftables: %w", err)
	}
	for _, t := range tables {
		if pid, ok := tableOwner(t.Name); ok && pid != os.Getpid() && unix.Kill(pid, 0) == unix.ESRCH {
			c.DelTable(t)
		}
	}
	r := &rules{table: &nftables.Table{Family: nftables.TableFamilyINet, Name: name}}
	c.AddTable(r.table)
	accept := nftables.ChainPolicyAccept
	input := c.AddChain(&nftables.Chain{Name: "input", Table: r.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	forward := c.AddChain(&nftables.Chain{Name: "forward", Table: r.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	post := c.AddChain(&nftables.Chain{Name: "postrouting", Table: r.table, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource, Policy: &accept})
	add := func(ch *nftables.Chain, e ...[]expr.Any) {
		var all []expr.Any
		for _, x := range e {
			all = append(all, x...)
		}
		c.AddRule(&nftables.Rule{Table: r.table, Chain: ch, Exprs: all})
	}
	add(input, ifname(expr.MetaKeyIIFNAME, expr.CmpOpEq), replies(), verdict(expr.VerdictAccept))
	add(input, ifname(expr.MetaKeyIIFNAME, expr.CmpOpEq), verdict(expr.VerdictDrop))
	add(forward, ifname(expr.MetaKeyIIFNAME, expr.CmpOpEq), family(unix.NFPROTO_IPV6), verdict(expr.VerdictDrop))
	add(forward, ifname(expr.MetaKeyOIFNAME, expr.CmpOpEq), replies(), verdict(expr.VerdictAccept))
	add(forward, ifname(expr.MetaKeyOIFNAME, expr.CmpOpEq), verdict(expr.VerdictDrop))
	add(post, family(unix.NFPROTO_IPV4), source(rng), ifname(expr.MetaKeyOIFNAME, expr.CmpOpNeq), []expr.Any{&expr.Masq{}})
	if err := c.Flush(); err != nil {
		return nil, fmt.Errorf("oci: outbound: nftables rules: %w", err)
	}
	return r, nil
}

// remove deletes the table.
func (r *rules) remove() error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("oci: outbound: nftables: %w", err)
	}
	c.DelTable(r.table)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("oci: outbound: remove nftables table %s: %w", r.table.Name, err)
	}
	return nil
}

// tableOwner is the pid of the server a table named by installRules belongs to.
func tableOwner(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "stratus-")
	if !ok {
		return 0, false
	}
	s, _, _ = strings.Cut(s, "-")
	pid, err := strconv.Atoi(s)
	return pid, err == nil && pid > 0
}

// ifname compares the first len(linkPrefix) bytes of the interface name: nft's
// "linkPrefix*".
func ifname(key expr.MetaKey, op expr.CmpOp) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: []byte(linkPrefix)},
	}
}

// replies matches ct state established,related.
func replies() []expr.Any {
	zero := make([]byte, 4)
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED), Xor: zero},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: zero},
	}
}

func family(proto byte) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
	}
}

// source matches an IPv4 source address in p; family(NFPROTO_IPV4) must come first.
func source(p netip.Prefix) []expr.Any {
	mask := binaryutil.BigEndian.PutUint32(^uint32(0) << (32 - p.Bits()))
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Addr().AsSlice()},
	}
}

func verdict(k expr.VerdictKind) []expr.Any {
	return []expr.Any{&expr.Verdict{Kind: k}}
}
