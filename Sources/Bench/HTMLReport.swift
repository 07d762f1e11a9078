import Foundation

/// `report.html`: one self-contained file (inline CSS, inline SVG plots, no script) with the
/// headline table, the DET curve, the unit confusion matrices and the per-stage times.
public enum HTMLReport {
    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
    static func pct(_ x: Double?) -> String { BenchReport.pct(x) }
    static func f(_ x: Double, _ d: Int = 1) -> String { String(format: "%.\(d)f", x) }

    public static func render(_ r: BenchReport) -> String {
        var b = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>CallTriage bench: \(esc(r.manifest))</title>
        <style>
        body { font: 14px/1.45 system-ui, "Noto Sans CJK SC", sans-serif; margin: 2em; color: #1d2330; max-width: 1200px; }
        table { border-collapse: collapse; margin: .5em 0 1.5em; } th, td { border-bottom: 1px solid #d0d5dd; padding: .25em .7em; text-align: right; }
        th:first-child, td:first-child { text-align: left; } .muted { color: #667085; } svg text { font: 11px system-ui, sans-serif; }
        h2 { margin-top: 2em; border-bottom: 2px solid #101828; }
        </style></head><body>
        <h1>CallTriage bench</h1>
        <p class="muted">\(esc(r.manifest)) · \(r.calls) calls (\(r.textCalls) transcripts, \(r.audioCalls) recordings, \(f(r.speed.audioSeconds / 3600, 2)) h) ·
        \(esc(r.created)) · triage \(esc(r.modelVersions.triage)) · acoustic \(esc(r.modelVersions.acoustic)) · \(r.keywords) keywords ·
        \(esc(r.machine.cpu)), \(r.machine.cores) cores, \(f(r.machine.memoryGB)) GB</p>
        <h2>Headline</h2>
        <table><tr><th>metric</th><th>text path</th><th>audio path</th></tr>
        """
        let rows: [(String, Double?, Double?)] = [
            ("routing top-1 strict", r.text?.top1Strict, r.audio?.top1Strict), ("routing top-1 lenient", r.text?.top1Lenient, r.audio?.top1Lenient),
            ("routing top-3", r.text?.top3, r.audio?.top3), ("request type", r.text?.requestType, r.audio?.requestType),
            ("topic", r.text?.topic, r.audio?.topic), ("time limit", r.text?.timeLimit, r.audio?.timeLimit),
            ("out of scope", r.text?.outOfScope, r.audio?.outOfScope), ("place", r.text?.place, r.audio?.place),
            ("hand-off recall", r.text?.handoffRecall, r.audio?.handoffRecall), ("hand-off precision", r.text?.handoffPrecision, r.audio?.handoffPrecision),
        ]
        for (n, t, a) in rows { b += "<tr><td>\(n)</td><td>\(pct(t))</td><td>\(pct(a))</td></tr>" }
        b += "</table>"
        for (name, m) in [("text", r.text), ("audio", r.audio)] {
            guard let m, !m.handoffs.isEmpty else { continue }
            b += "<h3>Hand-offs, \(name) path</h3><table><tr><th>hand-off</th><th>labelled</th><th>predicted</th><th>correct</th><th>recall</th><th>precision</th></tr>"
            for h in m.handoffs { b += "<tr><td>\(esc(h.handoff))</td><td>\(h.labelled)</td><td>\(h.predicted)</td><td>\(h.correct)</td><td>\(pct(h.recall))</td><td>\(pct(h.precision))</td></tr>" }
            b += "</table>"
        }
        if let k = r.kws {
            b += "<h2>Keyword spotting</h2>"
            b += "<p>Recall <b>\(pct(k.recall))</b> at <b>\(f(k.falseAlarmsPerHour, 2))</b> false alarms per hour (calibrated per-keyword thresholds), \(k.references) reference occurrences in \(f(k.audioHours, 2)) h. ATWV \(k.atwv.map { f($0, 3) } ?? "—"), MTWV \(k.mtwv.map { f($0, 3) } ?? "—") at threshold \(k.mtwvThreshold.map { f($0, 2) } ?? "—") (β = 999.9).</p>"
            b += detSVG(k)
            b += "<table><tr><th>threshold</th><th>recall</th><th>false alarms / h</th><th>hits</th><th>false alarms</th><th>TWV</th></tr>"
            for p in k.curve { b += "<tr><td>\(f(p.threshold, 2))</td><td>\(pct(p.recall))</td><td>\(f(p.falseAlarmsPerHour, 2))</td><td>\(p.hits)</td><td>\(p.falseAlarms)</td><td>\(p.twv.map { f($0, 3) } ?? "—")</td></tr>" }
            b += "</table><details><summary>Per keyword (\(k.perKeyword.count))</summary><table><tr><th>keyword</th><th>references</th><th>hits</th><th>false alarms</th><th>recall</th></tr>"
            for l in k.perKeyword { b += "<tr><td>\(esc(l.keyword))</td><td>\(l.references)</td><td>\(l.hits)</td><td>\(l.falseAlarms)</td><td>\(pct(l.recall))</td></tr>" }
            b += "</table></details>"
        }
        for (name, m) in [("text", r.text), ("audio", r.audio)] {
            guard let m, !m.unitConfusion.isEmpty else { continue }
            b += "<h2>Unit confusion, \(name) path</h2><p class=\"muted\">Rows: reference unit; columns: first suggested unit. Shade: share of the row.</p>"
            b += confusionSVG(m.unitConfusion)
        }
        b += "<h2>Speed</h2>" + stagesSVG(r.speed)
        b += "<p>\(f(r.speed.xRealTime ?? 0, 0))× real time overall on \(r.speed.workers) workers (\(f(r.speed.wallSeconds)) s wall); peak RSS \(f(Double(r.speed.peakRSSBytes) / 1_048_576)) MB.</p>"
        if !r.failures.isEmpty {
            b += "<h2>Failures</h2><ul>" + r.failures.map { "<li>\(esc($0))</li>" }.joined() + "</ul>"
        }
        return b + "</body></html>\n"
    }

    /// DET-style curve: false alarms per hour (log x) against miss probability (y).
    static func detSVG(_ k: KWSMetrics) -> String {
        let w = 560.0, h = 360.0, l = 60.0, t = 20.0, rr = 20.0, bm = 45.0
        let pts = k.curve.filter { $0.falseAlarmsPerHour > 0 }
        let xs = pts.map(\.falseAlarmsPerHour) + [k.falseAlarmsPerHour].filter { $0 > 0 }
        let lo = pow(10, floor(log10(max(0.01, xs.min() ?? 0.1)))), hi = pow(10, ceil(log10(max(lo * 10, xs.max() ?? 10))))
        func x(_ v: Double) -> Double { l + (log10(max(v, lo)) - log10(lo)) / (log10(hi) - log10(lo)) * (w - l - rr) }
        func y(_ miss: Double) -> Double { t + miss * (h - t - bm) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"DET curve\">"
        s += "<rect x=\"\(l)\" y=\"\(t)\" width=\"\(w - l - rr)\" height=\"\(h - t - bm)\" fill=\"#f9fafb\" stroke=\"#98a2b3\"/>"
        var d = lo
        while d <= hi * 1.0001 {
            s += "<line x1=\"\(x(d))\" x2=\"\(x(d))\" y1=\"\(t)\" y2=\"\(h - bm)\" stroke=\"#e4e7ec\"/><text x=\"\(x(d))\" y=\"\(h - bm + 15)\" text-anchor=\"middle\">\(d < 1 ? String(format: "%g", d) : String(format: "%.0f", d))</text>"
            d *= 10
        }
        for m in stride(from: 0.0, through: 1.0, by: 0.2) {
            s += "<line x1=\"\(l)\" x2=\"\(w - rr)\" y1=\"\(y(m))\" y2=\"\(y(m))\" stroke=\"#e4e7ec\"/><text x=\"\(l - 6)\" y=\"\(y(m) + 4)\" text-anchor=\"end\">\(Int(m * 100))%</text>"
        }
        s += "<text x=\"\((l + w - rr) / 2)\" y=\"\(h - 8)\" text-anchor=\"middle\">false alarms per hour (log scale)</text>"
        s += "<text transform=\"translate(14,\((t + h - bm) / 2)) rotate(-90)\" text-anchor=\"middle\">miss probability</text>"
        if !pts.isEmpty {
            s += "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\" points=\"" + pts.map { "\(f(x($0.falseAlarmsPerHour), 1)),\(f(y($0.missProbability), 1))" }.joined(separator: " ") + "\"/>"
            for p in pts { s += "<circle cx=\"\(f(x(p.falseAlarmsPerHour), 1))\" cy=\"\(f(y(p.missProbability), 1))\" r=\"2.5\" fill=\"#1f6feb\"><title>threshold \(f(p.threshold, 2)): recall \(pct(p.recall)), \(f(p.falseAlarmsPerHour, 2)) FA/h</title></circle>" }
        }
        let ox = x(max(k.falseAlarmsPerHour, lo)), oy = y(1 - k.recall)
        s += "<circle cx=\"\(f(ox, 1))\" cy=\"\(f(oy, 1))\" r=\"6\" fill=\"none\" stroke=\"#b42318\" stroke-width=\"2\"/><text x=\"\(f(ox + 9, 1))\" y=\"\(f(oy - 6, 1))\" fill=\"#b42318\">operating point</text>"
        return s + "</svg>"
    }

    static func confusionSVG(_ cells: [TriageMetrics.ConfusionCell]) -> String {
        let refs = Array(Set(cells.map(\.reference))).sorted()
        let sugg = Array(Set(cells.map(\.suggested)).union(refs)).sorted()
        let cell = 22.0, left = 110.0, top = 90.0
        let w = left + cell * Double(sugg.count) + 10, h = top + cell * Double(refs.count) + 10
        var rowTotal: [String: Int] = [:]
        for c in cells { rowTotal[c.reference, default: 0] += c.count }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"unit confusion\">"
        for (j, u) in sugg.enumerated() {
            s += "<text transform=\"translate(\(f(left + cell * Double(j) + cell / 2 + 4, 1)),\(top - 6)) rotate(-60)\">\(esc(u))</text>"
        }
        for (i, r) in refs.enumerated() {
            let yy = top + cell * Double(i)
            s += "<text x=\"\(left - 6)\" y=\"\(f(yy + cell / 2 + 4, 1))\" text-anchor=\"end\">\(esc(r)) (\(rowTotal[r] ?? 0))</text>"
            for (j, u) in sugg.enumerated() {
                let n = cells.first { $0.reference == r && $0.suggested == u }?.count ?? 0
                let share = Double(n) / Double(max(1, rowTotal[r] ?? 1))
                let colour = u == r ? "31,111,235" : "180,35,24"
                s += "<rect x=\"\(f(left + cell * Double(j), 1))\" y=\"\(f(yy, 1))\" width=\"\(cell - 1)\" height=\"\(cell - 1)\" fill=\"rgba(\(colour),\(f(n > 0 ? 0.12 + 0.88 * share : 0.03, 2)))\"><title>\(esc(r)) → \(esc(u)): \(n)</title></rect>"
                if n > 0 { s += "<text x=\"\(f(left + cell * Double(j) + cell / 2, 1))\" y=\"\(f(yy + cell / 2 + 4, 1))\" text-anchor=\"middle\" font-size=\"10\">\(n)</text>" }
            }
        }
        return s + "</svg>"
    }

    static func stagesSVG(_ sp: BenchReport.Speed) -> String {
        let stages: [(String, Double, Double)] = [
            ("decode + analysis", sp.stageSeconds.decodeAnalysis, sp.stageXRealTime.decodeAnalysis),
            ("keyword spotting", sp.stageSeconds.spotting, sp.stageXRealTime.spotting),
            ("triage (audio)", sp.stageSeconds.triageAudio, sp.stageXRealTime.triageAudio),
            ("triage (text)", sp.stageSeconds.triageText, sp.stageXRealTime.triageText),
        ]
        let maxS = max(1e-9, stages.map(\.1).max() ?? 1)
        let w = 620.0, left = 140.0, bar = 22.0
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(bar * Double(stages.count) + 30))\" role=\"img\" aria-label=\"time per stage\">"
        for (i, st) in stages.enumerated() {
            let y = 10 + Double(i) * bar
            let len = (w - left - 170) * st.1 / maxS
            s += "<text x=\"\(left - 6)\" y=\"\(f(y + 15, 1))\" text-anchor=\"end\">\(st.0)</text>"
            s += "<rect x=\"\(left)\" y=\"\(f(y + 3, 1))\" width=\"\(f(max(1, len), 1))\" height=\"\(bar - 6)\" fill=\"#1f6feb\"/>"
            s += "<text x=\"\(f(left + max(1, len) + 6, 1))\" y=\"\(f(y + 15, 1))\">\(f(st.1, 2)) s\(st.2 > 0 ? String(format: " · %.0f× real time", st.2) : "")</text>"
        }
        return s + "</svg>"
    }
}
