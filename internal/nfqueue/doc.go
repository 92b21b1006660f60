// Package nfqueue is TEST-ONLY support for root-only end-to-end tests: a
// minimal client of the kernel's NFQUEUE (nfnetlink_queue) over a raw
// netlink socket, and a [Delayer] that holds every queued packet for a
// chosen time before accepting it, keeping the order. With an iptables
// rule such as
//
//	iptables -t mangle -A POSTROUTING -o veth-a -p udp -j NFQUEUE --queue-num 7 --queue-bypass
//
// in a network namespace (see internal/netns), it delays the UDP traffic
// that leaves it: the kernel has no netem here, and a delay in the kernel's
// path, rather than in a wrapper around the application's sockets, is what
// a network does.
//
//	var q *nfqueue.Queue
//	err := ns.Do(func() (err error) { q, err = nfqueue.Open(7, 128); return err })
//	d := nfqueue.StartDelayer(q, nfqueue.Fixed(40*time.Millisecond))
//	... traffic ...
//	st := d.Stop()
//
// The protocol (include/uapi/linux/netfilter/nfnetlink_queue.h): messages
// of subsystem NFNL_SUBSYS_QUEUE; NFQNL_MSG_CONFIG binds a queue number
// (NFQNL_CFG_CMD_BIND) and sets the copy mode (NFQA_CFG_PARAMS); the kernel
// sends one NFQNL_MSG_PACKET per queued packet (NFQA_PACKET_HDR with its id,
// NFQA_PAYLOAD with the first bytes of the IP packet); each must be
// answered by an NFQNL_MSG_VERDICT (NFQA_VERDICT_HDR: NF_ACCEPT or NF_DROP
// and the id). Packets still queued when the socket closes are dropped by
// the kernel.
//
// Linux only; needs CAP_NET_ADMIN and a kernel with nfnetlink_queue
// (CONFIG_NETFILTER_NETLINK_QUEUE).
package nfqueue
