// The rtcstats dashboard page: polls api/state once a second and draws one
// card per stats object with SVG charts of its series. No libraries.
'use strict';
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  // Chart geometry in SVG units: plot area inside the margins.
  const W = 340, H = 112, ML = 62, MR = 8, MT = 6, MB = 16;
  const COLORS = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a',
    '#00838f', '#ad1457', '#4e342e', '#558b2f', '#37474f'];
  // Members shown on each card, when present (spec member names).
  const KEYS = {
    'peer-connection': ['dataChannelsOpened', 'dataChannelsClosed'],
    'transport': ['iceState', 'dtlsState', 'dtlsRole', 'tlsVersion', 'srtpCipher', 'selectedCandidatePairId'],
    'candidate-pair': ['state', 'nominated', 'currentRoundTripTime', 'availableOutgoingBitrate', 'bytesSent', 'bytesReceived'],
    'outbound-rtp': ['kind', 'ssrc', 'mid', 'rid', 'codecId', 'packetsSent', 'bytesSent', 'framesEncoded', 'nackCount'],
    'remote-inbound-rtp': ['kind', 'ssrc', 'codecId', 'packetsReceived', 'packetsLost', 'fractionLost', 'roundTripTime'],
    'inbound-rtp': ['kind', 'ssrc', 'mid', 'codecId', 'packetsReceived', 'packetsLost', 'bytesReceived', 'jitter', 'framesDecoded'],
    'remote-outbound-rtp': ['kind', 'ssrc', 'codecId', 'packetsSent', 'bytesSent', 'roundTripTime'],
    'media-source': ['kind', 'trackIdentifier', 'audioLevel', 'frames', 'framesPerSecond'],
    'media-playout': ['kind', 'totalSamplesCount'],
    'data-channel': ['label', 'protocol', 'state', 'messagesSent', 'messagesReceived'],
    'codec': ['mimeType', 'payloadType', 'clockRate', 'channels', 'sdpFmtpLine'],
    'local-candidate': ['candidateType', 'protocol', 'address', 'port'],
    'remote-candidate': ['candidateType', 'protocol', 'address', 'port'],
    'certificate': ['fingerprintAlgorithm', 'fingerprint'],
  };
  const POLL_MS = 1000;

  const peersEl = document.getElementById('peers');
  const statusEl = document.getElementById('status');
  const peerEls = new Map(); // name -> section
  const cardEls = new Map(); // name + '\0' + id -> {el, key}
  const openDetails = new Set(); // cards whose member table is open
  let updates = 0;

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    e.append(...kids);
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function si(v) {
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(2) + ' G';
    if (a >= 1e6) return (v / 1e6).toFixed(2) + ' M';
    if (a >= 1e3) return (v / 1e3).toFixed(1) + ' k';
    return v.toFixed(0) + ' ';
  }

  function fmt(v, unit) {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    switch (unit) {
      case 'bps': return si(v) + 'bit/s';
      case 's': return (v * 1000).toFixed(Math.abs(v) < 0.01 ? 2 : 1) + ' ms';
      case 'ratio': return (v * 100).toFixed(2) + ' %';
      case 'packets': return Number.isInteger(v) ? String(v) : v.toFixed(1);
      default: return (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' + unit;
    }
  }

  function fmtMember(v) {
    if (v !== null && typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  // chart draws one chart: a path per series, broken where a value is null.
  function chart(c, times) {
    let lo = 0, hi = 0, most = 0;
    for (const s of c.series) {
      let n = 0;
      for (const v of s.values) {
        if (v === null) continue;
        n++;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      most = Math.max(most, n);
    }
    if (hi === lo) hi = lo + (c.unit === 'ratio' ? 0.01 : 1);
    const t0 = times[0], t1 = times[times.length - 1];
    const span = t1 > t0 ? t1 - t0 : 1;
    const x = (i) => ML + (times[i] - t0) / span * (W - ML - MR);
    const y = (v) => MT + (hi - v) / (hi - lo) * (H - MT - MB);

    const box = el('div', { class: 'chart', 'data-chart': c.name, 'data-unit': c.unit, 'data-points': most });
    const legend = el('div', { class: 'legend' });
    box.append(el('div', { class: 'title' }, c.name), legend);
    const g = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': c.name });
    g.append(
      svg('line', { class: 'grid', x1: ML, x2: W - MR, y1: y((hi + lo) / 2), y2: y((hi + lo) / 2) }),
      svg('line', { class: 'frame', x1: ML, x2: ML, y1: MT, y2: H - MB }),
      svg('line', { class: 'frame', x1: ML, x2: W - MR, y1: y(0), y2: y(0) }),
      svg('text', { x: ML - 3, y: MT + 7, 'text-anchor': 'end' }, fmt(hi, c.unit)),
      svg('text', { x: ML - 3, y: y((hi + lo) / 2) + 3, 'text-anchor': 'end' }, fmt((hi + lo) / 2, c.unit)),
      svg('text', { x: ML - 3, y: H - MB, 'text-anchor': 'end' }, fmt(lo, c.unit)),
      svg('text', { x: ML, y: H - 4 }, '−' + (span / 1000).toFixed(span < 10000 ? 1 : 0) + ' s'),
      svg('text', { x: W - MR, y: H - 4, 'text-anchor': 'end' }, new Date(t1).toLocaleTimeString()));
    c.series.forEach((s, k) => {
      const color = COLORS[k % COLORS.length];
      let d = '', pen = false, n = 0, sum = 0, last = null, lastX = 0, lastY = 0;
      s.values.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        lastX = x(i); lastY = y(v);
        d += (pen ? 'L' : 'M') + lastX.toFixed(1) + ' ' + lastY.toFixed(1) + ' ';
        pen = true; n++; sum += v; last = v;
      });
      const mean = n > 0 ? sum / n : null;
      const line = svg('path', {
        d: d.trim(), fill: 'none', stroke: color, 'stroke-width': 1.5,
        'data-series': s.label, 'data-points': n,
        'data-last': last === null ? '' : last, 'data-mean': mean === null ? '' : mean,
      });
      line.append(svg('title', {}, s.label + ': now ' + fmt(last, c.unit) + ', mean ' + fmt(mean, c.unit) + ' over ' + n + ' points'));
      g.append(line);
      if (last !== null) g.append(svg('circle', { cx: lastX, cy: lastY, r: 2, fill: color }));
      legend.append(el('span', {}, el('i', { style: 'background:' + color }), s.label + ' ' + fmt(last, c.unit)));
    });
    box.append(g);
    return box;
  }

  function card(peer, o, byId) {
    const key = peer.name + '\0' + o.id;
    const e = el('div', { class: 'card' + (o.gone ? ' gone' : ''), 'data-type': o.type, 'data-id': o.id, 'data-peer': peer.name });
    e.append(el('div', { class: 'head' },
      el('span', { class: 'type' }, o.type + (o.gone ? ' (gone)' : '')),
      el('span', { class: 'id', title: o.id }, o.id)));
    const m = o.members || {};
    const dl = el('dl', { class: 'keys' });
    for (const k of KEYS[o.type] || Object.keys(m).filter((k) => !['id', 'type', 'timestamp'].includes(k)).slice(0, 5)) {
      if (!(k in m)) continue;
      let v = fmtMember(m[k]);
      if (k === 'codecId' && byId.has(m[k]) && byId.get(m[k]).members) v = byId.get(m[k]).members.mimeType + ' (' + v + ')';
      dl.append(el('dt', {}, k), el('dd', {}, v));
    }
    e.append(dl);
    for (const c of o.charts || []) e.append(chart(c, o.times));
    const det = el('details', {}, el('summary', {}, 'all members (' + Object.keys(m).length + ')'));
    if (openDetails.has(key)) det.open = true;
    det.addEventListener('toggle', () => { if (det.open) openDetails.add(key); else openDetails.delete(key); });
    const tbl = el('table');
    for (const k of Object.keys(m).sort()) tbl.append(el('tr', {}, el('td', {}, k), el('td', {}, fmtMember(m[k]))));
    det.append(tbl);
    e.append(det);
    return e;
  }

  function render(st) {
    const seenPeers = new Set(), seenCards = new Set();
    if (st.peers.length > 0) peersEl.querySelector('.empty')?.remove();
    for (const p of st.peers) {
      seenPeers.add(p.name);
      let sec = peerEls.get(p.name);
      if (!sec) {
        sec = el('section', { class: 'peer', 'data-peer': p.name }, el('h2'), el('div', { class: 'cards' }));
        peerEls.set(p.name, sec);
      }
      peersEl.append(sec); // keeps the server's order
      const h2 = sec.firstChild;
      h2.replaceChildren(p.name, el('span', { class: 'meta' }, (p.source === 'poll' ? 'polled' : 'pushed') + ' · ' + p.reports + ' reports · ' + p.objects.length + ' objects'));
      if (p.error) h2.append(el('span', { class: 'error' }, p.error));
      const cards = sec.lastChild;
      const byId = new Map(p.objects.map((o) => [o.id, o]));
      for (const o of p.objects) {
        const key = p.name + '\0' + o.id;
        seenCards.add(key);
        const ver = JSON.stringify([o.gone, o.members, o.times.length, o.times[o.times.length - 1]]);
        let c = cardEls.get(key);
        if (!c || c.ver !== ver) {
          const fresh = card(p, o, byId);
          if (c) c.el.replaceWith(fresh);
          c = { el: fresh, ver };
          cardEls.set(key, c);
        }
        cards.append(c.el);
      }
    }
    for (const [k, c] of cardEls) if (!seenCards.has(k)) { c.el.remove(); cardEls.delete(k); }
    for (const [k, s] of peerEls) if (!seenPeers.has(k)) { s.remove(); peerEls.delete(k); }
  }

  function status(text, bad) {
    statusEl.textContent = text;
    statusEl.classList.toggle('error', !!bad);
  }

  async function tick() {
    try {
      const res = await fetch('api/state', { cache: 'no-store' });
      if (!res.ok) throw new Error('api/state: ' + res.status + ' ' + (await res.text()).trim());
      const st = await res.json();
      for (const p of st.peers) for (const o of p.objects) o.times = o.times || [];
      render(st);
      updates++;
      document.body.dataset.updates = updates;
      status('live · ' + new Date().toLocaleTimeString());
    } catch (err) {
      status('error: ' + err.message, true);
      document.body.dataset.error = err.message;
    }
    setTimeout(tick, POLL_MS);
  }

  window.addEventListener('error', (ev) => {
    document.body.dataset.error = String(ev.message);
    status('script error: ' + ev.message, true);
  });
  tick();
})();
