// Package dashboard serves a live page in the spirit of chrome://webrtc-internals
// for rtcstats reports: one card per stats object, with charts over time of
// the interval metrics that report.Delta computes between consecutive
// reports of the same peer (bitrates, packet rates, loss, jitter, round-trip
// time, per-DSCP packet rates).
//
// Reports come from peers polled every interval (AddPeer, Run) or are pushed
// (Push, or POST api/push?peer=NAME with a browser's getStats JSON). All
// series are computed on the server; the page polls api/state once a second
// and draws them as SVG. The page uses relative URLs only, so the Dashboard
// works mounted under a prefix with http.StripPrefix.
//
// Memory is bounded: each object keeps the newest WithHistory points, an
// object absent from a peer's reports for that many reports is dropped, and
// the numbers of peers and objects are capped.
package dashboard
