// Package browserpeer lets a browser call a pion PeerConnection monitored by
// rtcstats. A Server serves, on the address it is given (127.0.0.1 in the
// example and the tests), a page that takes the camera and microphone (or
// fake devices, or a drawn canvas and a tone when there are none), offers
// audio, video and a data channel, and shows the browser's getStats next to
// ours. The pion side answers, sends Opus and VP8 from the repository's
// testdata back, sends a data-channel message a second and marks its packets
// per RFC 8837 when the Factory has WithDSCP.
//
// examples/browser and the Chromium end-to-end tests (e2e/browser) share it.
//
// Endpoints:
//
//	GET  /           the page (index.html, app.js)
//	GET  /config     {"dashboard": "/dashboard/"} when a Dashboard handler is set
//	POST /offer      body {"type":"offer","sdp":...} with complete ICE; answers the same way
//	GET  /stats      our report of the current call, Object.fromEntries(getStats()) form
//	/dashboard/...   Config.Dashboard, prefix stripped
//
// One call at a time: a new offer ends the call before it. The page reads
// these query parameters: autostart=1 starts without a click, priority=P
// sets encodings[0].networkPriority of both senders (default "high"; "" leaves
// it unset), interval=MS how often it refreshes the tables (default 1000).
package browserpeer
