/// The review page's stylesheet and script, served from /static (no inline code: strict CSP).
enum Assets {
    static let css = """
    :root { --fg: #1d2330; --muted: #667085; --line: #d0d5dd; --bg: #fff; --accent: #1f6feb; --warn: #b42318; --ok: #067647; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, "Noto Sans CJK SC", "PingFang SC", sans-serif; color: var(--fg); background: #f6f7f9; }
    header.top { display: flex; gap: 2em; align-items: center; padding: .6em 1.2em; background: #101828; color: #fff; }
    header.top a { color: #fff; text-decoration: none; margin-right: 1em; opacity: .85; }
    header.top a.on, header.top a:hover { opacity: 1; text-decoration: underline; }
    .brand { font-weight: 600; }
    main { padding: 1em 1.2em; max-width: 1400px; }
    h1 small { font-weight: normal; color: var(--muted); font-size: 60%; }
    section { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .6em 1em; margin: 1em 0; }
    table { border-collapse: collapse; width: 100%; background: var(--bg); }
    th, td { border-bottom: 1px solid var(--line); padding: .3em .5em; text-align: left; vertical-align: top; }
    table.queue tbody tr { cursor: pointer; }
    table.queue tbody tr:hover, table.queue tbody tr.cursor { background: #eef4ff; }
    tr.p0 td:first-child { border-left: 4px solid var(--warn); }
    tr.p1 td:first-child { border-left: 4px solid #dc6803; }
    tr.p2 td:first-child { border-left: 4px solid #fdb022; }
    tr.p3 td:first-child { border-left: 4px solid #98a2b3; }
    tr.st-approved { color: var(--ok); } tr.st-rejected { color: var(--muted); text-decoration: line-through; }
    td.summary { max-width: 36em; }
    .flag { display: inline-block; background: #f2f4f7; border: 1px solid var(--line); border-radius: 3px; padding: 0 .3em; font-size: 85%; margin: 1px; }
    .filters { display: flex; flex-wrap: wrap; gap: .5em; margin: .5em 0; }
    .filters input[type=search] { min-width: 22em; }
    .counts, .meta, small { color: var(--muted); }
    .notice { background: #ecfdf3; border: 1px solid #abefc6; padding: .5em 1em; border-radius: 4px; }
    .notice.error { background: #fef3f2; border-color: #fecdca; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(20em, 1fr)); gap: .6em 1.2em; }
    .grid label { display: flex; flex-direction: column; gap: .2em; }
    .grid label.wide { grid-column: 1 / -1; }
    .grid label.check { flex-direction: row; align-items: center; }
    input, select, textarea, button { font: inherit; padding: .3em .4em; }
    button { border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
    button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
    button.danger { color: var(--warn); border-color: var(--warn); }
    .actions { display: flex; gap: .6em; align-items: center; }
    audio { width: 100%; margin: .4em 0; }
    .signal .chan { position: relative; margin: .4em 0; }
    .signal .chan h3 { margin: .2em 0; font-size: 90%; color: var(--muted); }
    .signal canvas { width: 100%; display: block; border: 1px solid var(--line); cursor: crosshair; }
    .signal canvas.wave { height: 70px; } .signal canvas.spec { height: 110px; }
    .signal .marks { position: absolute; left: 0; right: 0; bottom: 0; top: 1.4em; pointer-events: none; }
    .signal .mark { position: absolute; top: 0; bottom: 0; background: rgba(255, 196, 0, .28); border-left: 2px solid #f79009; pointer-events: auto; cursor: pointer; }
    .signal .mark span { position: absolute; top: 0; left: 2px; font-size: 11px; background: rgba(255,255,255,.85); white-space: nowrap; }
    .signal .playhead { position: absolute; top: 1.4em; bottom: 0; width: 2px; background: var(--warn); pointer-events: none; }
    .hits { display: flex; flex-wrap: wrap; gap: .4em; margin: .4em 0; }
    .hit.playing { background: #fff3c4; border-color: #f79009; }
    .shortcuts { position: fixed; right: 1em; bottom: 1em; background: #fff; border: 1px solid var(--line); padding: 1em; box-shadow: 0 4px 16px rgba(0,0,0,.15); }
    kbd { border: 1px solid var(--line); border-radius: 3px; padding: 0 .3em; background: #f9fafb; }
    .scroll { overflow-x: auto; }
    table.confusion td { text-align: center; min-width: 2.5em; } td.diag { background: #ecfdf3; } td.off { background: #fef3f2; }
    tr.act-conflict { background: #fef3f2; }
    """

    static let js = """
    'use strict';
    (function () {
      const $ = (s, r) => (r || document).querySelector(s);
      const $$ = (s, r) => Array.from((r || document).querySelectorAll(s));
      const typing = (e) => { const t = e.target; return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)); };
      const player = $('#player');
      const help = $('#shortcuts');
      const link = $('#shortcuts-link');
      if (link) link.addEventListener('click', (e) => { e.preventDefault(); help.hidden = !help.hidden; });

      function playFrom(t) {
        if (!player) return;
        const go = () => { player.currentTime = Math.max(0, t); const p = player.play(); if (p && p.catch) p.catch(() => {}); };
        if (player.readyState >= 1) go(); else player.addEventListener('loadedmetadata', go, { once: true });
      }
      $$('.hit').forEach((b) => b.addEventListener('click', () => playFrom(parseFloat(b.dataset.start))));
      $$('a.seek').forEach((a) => a.addEventListener('click', (e) => { e.preventDefault(); playFrom(parseFloat(a.dataset.start)); }));

      // Queue rows open their draft; j/k move, Enter opens.
      const rows = $$('#queue tbody tr');
      let cursor = -1;
      rows.forEach((r) => r.addEventListener('click', (e) => { if (e.target.tagName !== 'A') location.href = r.dataset.href; }));
      function move(d) {
        if (!rows.length) return;
        if (cursor >= 0) rows[cursor].classList.remove('cursor');
        cursor = Math.max(0, Math.min(rows.length - 1, cursor + d));
        rows[cursor].classList.add('cursor');
        rows[cursor].scrollIntoView({ block: 'nearest' });
      }

      // Signal views: waveform and spectrogram per channel, hits marked, click to play.
      const signal = $('#signal');
      const hits = $$('.hit').map((b) => ({ start: parseFloat(b.dataset.start), end: parseFloat(b.dataset.end), channel: b.dataset.channel, label: b.firstChild.textContent.trim(), el: b }));
      if (signal) {
        fetch(signal.dataset.src, { credentials: 'same-origin' }).then((r) => r.ok ? r.json() : Promise.reject(r.status)).then((v) => {
          v.channels.forEach((c) => {
            const box = document.createElement('div');
            box.className = 'chan';
            box.dataset.role = c.role;
            const h = document.createElement('h3');
            h.textContent = 'channel ' + c.index + ' · ' + c.role;
            box.appendChild(h);
            const wave = document.createElement('canvas'); wave.className = 'wave'; wave.width = v.columns; wave.height = 70;
            const spec = document.createElement('canvas'); spec.className = 'spec'; spec.width = v.columns; spec.height = v.bins;
            box.appendChild(wave); box.appendChild(spec);
            const wctx = wave.getContext('2d');
            wctx.fillStyle = '#f9fafb'; wctx.fillRect(0, 0, v.columns, 70);
            wctx.fillStyle = '#475467';
            for (let i = 0; i < v.columns; i++) {
              const lo = c.envelope[2 * i], hi = c.envelope[2 * i + 1];
              const y0 = 35 - hi * 34, y1 = 35 - lo * 34;
              wctx.fillRect(i, y0, 1, Math.max(1, y1 - y0));
            }
            const bytes = Uint8Array.from(atob(c.spectrogram), (ch) => ch.charCodeAt(0));
            const sctx = spec.getContext('2d');
            const img = sctx.createImageData(v.columns, v.bins);
            for (let x = 0; x < v.columns; x++) for (let b = 0; b < v.bins; b++) {
              const val = bytes[x * v.bins + b], y = v.bins - 1 - b, o = 4 * (y * v.columns + x);
              img.data[o] = Math.min(255, val * 1.4); img.data[o + 1] = Math.max(0, val * 1.1 - 60); img.data[o + 2] = Math.max(0, 140 - val * 0.6 + (val > 200 ? 100 : 0)); img.data[o + 3] = 255;
            }
            sctx.putImageData(img, 0, 0);
            const marks = document.createElement('div'); marks.className = 'marks';
            hits.filter((hh) => !hh.channel || hh.channel === c.role).forEach((hh) => {
              const m = document.createElement('div');
              m.className = 'mark';
              m.style.left = (100 * hh.start / v.duration) + '%';
              m.style.width = Math.max(0.3, 100 * (hh.end - hh.start) / v.duration) + '%';
              m.title = hh.label;
              const s = document.createElement('span'); s.textContent = hh.label; m.appendChild(s);
              m.addEventListener('click', (e) => { e.stopPropagation(); playFrom(hh.start); });
              marks.appendChild(m);
            });
            box.appendChild(marks);
            const head = document.createElement('div'); head.className = 'playhead'; box.appendChild(head);
            [wave, spec].forEach((cv) => cv.addEventListener('click', (e) => {
              const r = cv.getBoundingClientRect();
              playFrom((e.clientX - r.left) / r.width * v.duration);
            }));
            signal.appendChild(box);
          });
          signal.dataset.loaded = '1';
          if (player) player.addEventListener('timeupdate', () => {
            $$('.playhead', signal).forEach((p) => { p.style.left = (100 * player.currentTime / v.duration) + '%'; });
            hits.forEach((hh) => hh.el.classList.toggle('playing', player.currentTime >= hh.start && player.currentTime <= hh.end));
          });
        }).catch((s) => { const p = document.createElement('p'); p.className = 'notice error'; p.textContent = 'signal view unavailable (' + s + ')'; signal.appendChild(p); });
      }
      let hitIndex = -1;
      function click(id) { const b = document.getElementById(id); if (b) b.click(); }
      document.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && typing(e)) { e.target.blur(); return; }
        if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
        switch (e.key) {
          case 'a': click('btn-approve'); break;
          case 'x': click('btn-reject'); break;
          case 's': click('btn-save'); break;
          case 'n': { const n = $('#next-link'); if (n) location.href = n.href; break; }
          case 'p': case ' ': if (player) { e.preventDefault(); if (player.paused) player.play(); else player.pause(); } break;
          case ']': if (hits.length) { hitIndex = Math.min(hits.length - 1, hitIndex + 1); playFrom(hits[hitIndex].start); } break;
          case '[': if (hits.length) { hitIndex = Math.max(0, hitIndex - 1); playFrom(hits[hitIndex].start); } break;
          case 'j': move(1); break;
          case 'k': move(-1); break;
          case 'Enter': if (cursor >= 0) location.href = rows[cursor].dataset.href; break;
          case '/': { const s = $('#search'); if (s) { e.preventDefault(); s.focus(); } break; }
          case '?': if (help) help.hidden = !help.hidden; break;
          default: return;
        }
      });
    })();
    """
}
