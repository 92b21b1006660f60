// Package browser holds the Chromium ↔ pion end-to-end tests: headless
// Chromium (driven with chromedp) calls the internal/browserpeer server on
// 127.0.0.1, and each side's numbers are checked against the other side's
// getStats. Without a Chromium binary ($CHROMIUM, or chromium,
// chromium-browser or google-chrome on PATH) the tests skip and say so; the
// packet-capture checks also need root.
package browser
