// Package netns is TEST-ONLY support for root-only end-to-end tests: [New]
// creates two network namespaces joined by a veth pair, so two peers can
// exchange real packets over a real link whose traffic (and nftables
// rules) never touch the host's own namespace.
//
//	p := netns.New(t) // skips unless root with `ip` on PATH
//	se.SetNet(p.A.Net()) // pion gathers p.A.Addr as its host candidate
//	err := p.A.NFT(ctx, ruleset) // nftables rules that only A's traffic sees
//
// Sockets are created inside a namespace by [NS.Do], which runs a function
// on an OS thread switched into it; a socket keeps its namespace for life,
// so the returned conns can be used from any goroutine afterwards.
//
// Everything is Linux-only.
package netns
