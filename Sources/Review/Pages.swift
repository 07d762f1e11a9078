import Foundation
import Store
import Triage

/// The review pages as HTML strings (every value escaped through `HTML.esc`).
struct Pages {
    let domain: Domain

    func topicLabel(_ id: String?) -> String {
        guard let id else { return "—" }
        if id == Domain.outOfScope { return "out_of_scope 不予受理" }
        return domain.topic(id).map { "\(id) \($0.name)" } ?? id
    }

    func unitLabel(_ id: String?) -> String {
        guard let id else { return "—" }
        return domain.unit(id).map { "\($0.name) (\(id))" } ?? id
    }

    static let priorityNames = ["hand-off", "low confidence", "ambiguous units", "poor audio", "normal"]

    // MARK: - Queue

    func queue(rows: [Store.QueueRow], total: Int, filter: Store.QueueFilter, counts: [String: Int],
               facets: (topics: [String], units: [String], flags: [String])) -> String {
        let statusOpts = [("", "all statuses")] + ["draft", "approved", "rejected"].map { ($0, "\($0) (\(counts[$0] ?? 0))") }
        let form = """
        <form class="filters" method="get" action="/" role="search">
        <select name="status" aria-label="status">\(HTML.options(statusOpts.map { (value: $0.0, label: $0.1) }, selected: filter.status ?? ""))</select>
        <select name="topic" aria-label="topic">\(HTML.options([(value: "", label: "all topics")] + facets.topics.map { (value: $0, label: topicLabel($0)) }, selected: filter.topic ?? ""))</select>
        <select name="unit" aria-label="unit">\(HTML.options([(value: "", label: "all units")] + facets.units.map { (value: $0, label: unitLabel($0)) }, selected: filter.unit ?? ""))</select>
        <select name="flag" aria-label="flag">\(HTML.options([(value: "", label: "any flag")] + facets.flags.map { (value: $0, label: $0) }, selected: filter.flag ?? ""))</select>
        <input type="search" name="q" id="search" placeholder="search summary, id, keywords (/)" value="\(HTML.esc(filter.text ?? ""))">
        <button type="submit">Filter</button></form>
        """
        let all = counts.values.reduce(0, +)
        var table = """
        <p class="counts"><span id="match-count">\(total)</span> matching of \(all) drafts ·
        \(counts["draft"] ?? 0) waiting · \(counts["approved"] ?? 0) approved · \(counts["rejected"] ?? 0) rejected</p>
        <table class="queue" id="queue"><thead><tr><th>#</th><th>call</th><th>status</th><th>priority</th><th>type</th>
        <th>topic</th><th>unit</th><th>hand-off</th><th>flags</th><th>summary</th></tr></thead><tbody>
        """
        for r in rows {
            let flags = r.flags.map { "<span class=\"flag\">\(HTML.esc($0))</span>" }.joined(separator: " ")
            table += """
            <tr class="p\(r.priority) st-\(HTML.esc(r.status))" data-href="/drafts/\(r.id)"><td>\(r.id)</td>
            <td><a href="/drafts/\(r.id)">\(HTML.esc(r.callId))</a></td><td>\(HTML.esc(r.status))\(r.reviewer.map { " · " + HTML.esc($0) } ?? "")</td>
            <td>\(HTML.esc(Pages.priorityNames[max(0, min(4, r.priority))]))</td>
            <td>\(HTML.esc(r.requestType.map { Domain.requestTypeNames[$0] ?? $0 } ?? "—"))</td>
            <td>\(HTML.esc(topicLabel(r.topic)))\(r.topicConfidence.map { String(format: " <small>%.2f</small>", $0) } ?? "")</td>
            <td>\(HTML.esc(unitLabel(r.unit)))</td><td>\(HTML.esc(r.handoff ?? ""))</td><td>\(flags)</td>
            <td class="summary">\(HTML.esc(r.summary))</td></tr>
            """
        }
        table += "</tbody></table>"
        if rows.isEmpty { table += "<p class=\"empty\">No drafts match.</p>" }
        var pager = ""
        if filter.offset > 0 || filter.offset + rows.count < total {
            func link(_ off: Int, _ label: String) -> String {
                var q = [("status", filter.status), ("topic", filter.topic), ("unit", filter.unit), ("flag", filter.flag), ("q", filter.text)]
                    .compactMap { k, v in v.flatMap { $0.isEmpty ? nil : "\(k)=\(HTML.q($0))" } }
                q.append("offset=\(off)")
                return "<a href=\"/?\(HTML.esc(q.joined(separator: "&")))\">\(label)</a>"
            }
            pager = "<p class=\"pager\">"
            if filter.offset > 0 { pager += link(max(0, filter.offset - filter.limit), "← previous") + " " }
            pager += "\(filter.offset + 1)–\(filter.offset + rows.count) of \(total)"
            if filter.offset + rows.count < total { pager += " " + link(filter.offset + filter.limit, "next →") }
            pager += "</p>"
        }
        return HTML.page(title: "Queue", nav: "queue", body: "<h1>Review queue</h1>" + form + table + pager)
    }

    // MARK: - Draft

    func draft(_ item: Store.ReviewItem, decisions: [Store.Decision], csrf: String, reviewer: String,
               next: Int64?, notice: String?) -> String {
        let d = item.current
        let s = item.suggested
        var body = ""
        if let notice { body += "<p class=\"notice\" role=\"status\">\(HTML.esc(notice))</p>" }
        body += """
        <h1>Call \(HTML.esc(d.id)) <small>#\(item.id) · <span id="status">\(HTML.esc(item.status))</span> · revision \(item.revision)\
        \(item.reviewer.map { " · last by " + HTML.esc($0) } ?? "")</small></h1>
        <p class="flags">\(d.flags.map { "<span class=\"flag\">\(HTML.esc($0))</span>" }.joined(separator: " "))</p>
        """
        // Audio: player, signal views with hits, hit list.
        // Timed evidence, once per (keyword, time, channel): a place mention repeats its keyword hit.
        var seenHits = Set<String>()
        let hits = d.evidence.filter { e in
            guard let st = e.start else { return false }
            return seenHits.insert("\(e.keyword)|\(st)|\(e.channel ?? "")").inserted
        }
        if let src = d.source {
            body += """
            <section class="audio"><h2>Recording</h2>
            <p class="meta">\(HTML.esc((src.path as NSString).lastPathComponent)) · \(String(format: "%.1f", src.duration)) s · \(src.channels) channel\(src.channels == 1 ? "" : "s")\
            \(item.quality.map { q in " · \(HTML.esc(q.role)): SNR \(q.snrDB.map { String(format: "%.0f dB", $0) } ?? "n/a")\(q.flags.isEmpty ? "" : " (" + HTML.esc(q.flags.joined(separator: ", ")) + ")")" }.joined())</p>
            <audio id="player" controls preload="auto" src="/drafts/\(item.id)/audio"></audio>
            <div id="signal" class="signal" data-src="/drafts/\(item.id)/signal.json" data-duration="\(src.duration)"></div>
            <div class="hits" id="hits">
            """
            for e in hits {
                body += """
                <button type="button" class="hit" data-start="\(e.start!)" data-end="\(e.end ?? e.start!)" data-channel="\(HTML.esc(e.channel ?? ""))" \
                title="\(HTML.esc(e.kind)) \(HTML.esc(e.category ?? "")) score \(String(format: "%.2f", e.score))">\(HTML.esc(e.keyword)) \
                <small>\(HTML.time(e.start!)) \(HTML.esc(e.channel ?? ""))</small></button>
                """
            }
            if hits.isEmpty { body += "<p class=\"empty\">No timed evidence in this recording.</p>" }
            body += "</div></section>"
        }
        // Edit form.
        let types = Domain.requestTypes.map { (value: $0, label: "\(Domain.requestTypeNames[$0] ?? $0) \($0)") }
        let topics = (domain.topics.map(\.id) + [Domain.outOfScope]).map { (id: String) in (value: id, label: topicLabel(id)) }
        let limits = Domain.timeLimits.map { (value: $0, label: $0) }
        let handoffs = [(value: "", label: "none")] + domain.handoffs.map { (value: $0.id, label: "\($0.id) \($0.number)") }
        let unitChoices = domain.units.map { (value: $0.id, label: "\($0.name) (\($0.id))") }
        let unitList = d.units.map(\.unit).joined(separator: ", ")
        body += """
        <section class="edit"><h2>Draft</h2>
        <form method="post" action="/drafts/\(item.id)" id="draft-form">
        <input type="hidden" name="csrf" value="\(HTML.esc(csrf))">
        <input type="hidden" name="revision" value="\(item.revision)">
        \(next.map { "<input type=\"hidden\" name=\"next\" value=\"\($0)\">" } ?? "")
        <div class="grid">
        <label>Request type <select name="request_type" id="f-request_type">\(HTML.options(types, selected: d.requestType.value))</select>
        <small>suggested \(HTML.esc(s.requestType.value)) \(String(format: "%.2f", s.requestType.confidence))</small></label>
        <label>Topic <select name="topic" id="f-topic">\(HTML.options(topics, selected: d.topic.value))</select>
        <small>suggested \(HTML.esc(topicLabel(s.topic.value))) \(String(format: "%.2f", s.topic.confidence))\
        \(s.topic.alternatives.prefix(3).map { "; " + HTML.esc($0.value) + String(format: " %.2f", $0.confidence) }.joined())</small></label>
        <label>Time limit <select name="time_limit" id="f-time_limit">\(HTML.options(limits, selected: d.timeLimit))</select></label>
        <label>Hand-off <select name="handoff" id="f-handoff">\(HTML.options(handoffs, selected: d.handoff ?? ""))</select></label>
        <label class="check"><input type="checkbox" name="out_of_scope" value="1"\(d.outOfScope ? " checked" : "")> out of scope (answered, not dispatched)</label>
        <label class="wide">Units, first is dispatched (ids, comma-separated; STREET:名称 / DISTRICT:名称 allowed)
        <input name="units" id="f-units" list="unit-ids" value="\(HTML.esc(unitList))" autocomplete="off"></label>
        <datalist id="unit-ids">\(HTML.options(unitChoices, selected: nil))</datalist>
        <label>District <input name="district" id="f-district" value="\(HTML.esc(d.place?.district ?? ""))"></label>
        <label>Street <input name="street" id="f-street" value="\(HTML.esc(d.place?.street ?? ""))"></label>
        <label class="wide">Address / place <input name="address" id="f-address" value="\(HTML.esc(d.place?.address ?? d.place?.name ?? ""))"></label>
        <label class="wide">Summary <textarea name="summary" id="f-summary" rows="3">\(HTML.esc(d.summary))</textarea></label>
        <label>Reassign to <select name="reassign_to" id="f-reassign_to">\(HTML.options([(value: "", label: "—")] + unitChoices, selected: nil))</select></label>
        <label>Note <input name="note" id="f-note" maxlength="500"></label>
        <label>Reviewer <input name="reviewer" id="f-reviewer" required maxlength="80" value="\(HTML.esc(reviewer))"></label>
        </div>
        <p class="actions">
        <button type="submit" name="action" value="save" id="btn-save" title="s">Save</button>
        <button type="submit" name="action" value="approve" id="btn-approve" class="primary" title="a">Approve</button>
        <button type="submit" name="action" value="reassign" id="btn-reassign" title="reassign to the unit chosen above">Reassign</button>
        <button type="submit" name="action" value="reject" id="btn-reject" class="danger" title="x">Reject</button>
        \(item.status != "draft" ? "<button type=\"submit\" name=\"action\" value=\"reopen\" id=\"btn-reopen\">Reopen</button>" : "")
        \(next.map { "<a href=\"/drafts/\($0)\" id=\"next-link\" title=\"n\">next in queue →</a>" } ?? "")
        </p></form></section>
        """
        // Suggested units with reasons.
        body += "<section class=\"units\"><h2>Suggested units</h2><ol>"
        for u in s.units {
            body += "<li><b>\(HTML.esc(u.name))</b> <code>\(HTML.esc(u.unit))</code> \(String(format: "%.2f", u.score))<ul>"
            for r in u.reasons { body += "<li>\(HTML.esc(r))</li>" }
            body += "</ul></li>"
        }
        body += "</ol>"
        if let p = s.place { body += "<p>Place: " + p.reasons.map(HTML.esc).joined(separator: "; ") + "</p>" }
        if !s.explain.isEmpty {
            body += "<details><summary>Why each field</summary><dl>"
            for (k, v) in s.explain.sorted(by: { $0.key < $1.key }) {
                body += "<dt>\(HTML.esc(k))</dt><dd>\(v.reasons.map(HTML.esc).joined(separator: "; "))\(v.evidence.isEmpty ? "" : " [" + HTML.esc(v.evidence.joined(separator: ", ")) + "]")</dd>"
            }
            body += "</dl></details>"
        }
        body += "</section>"
        // Evidence table.
        body += "<section class=\"evidence\"><h2>Evidence</h2><table><thead><tr><th>id</th><th>kind</th><th>keyword</th><th>for</th><th>where</th><th>score</th><th>channel</th><th>note</th></tr></thead><tbody>"
        for e in s.evidence {
            let whereText: String
            if let st = e.start { whereText = "<a href=\"#\" class=\"seek\" data-start=\"\(st)\">\(HTML.time(st))–\(HTML.time(e.end ?? st))</a>" }
            else if let cs = e.charStart { whereText = "chars \(cs)–\(e.charEnd ?? cs)" }
            else { whereText = "" }
            body += "<tr><td>\(HTML.esc(e.id))</td><td>\(HTML.esc(e.kind))</td><td>\(HTML.esc(e.keyword))</td><td>\(HTML.esc(e.category ?? ""))</td><td>\(whereText)</td><td>\(String(format: "%.2f", e.score))</td><td>\(HTML.esc(e.channel ?? ""))</td><td>\(HTML.esc(e.note ?? ""))</td></tr>"
        }
        body += "</tbody></table></section>"
        body += history(decisions)
        return HTML.page(title: "Call \(d.id)", nav: "draft", body: body)
    }

    func history(_ decisions: [Store.Decision]) -> String {
        var h = "<section class=\"history\"><h2>History</h2>"
        if decisions.isEmpty { return h + "<p class=\"empty\">No decisions yet.</p></section>" }
        h += "<table id=\"history\"><thead><tr><th>time</th><th>reviewer</th><th>action</th><th>field</th><th>from</th><th>to</th><th>revision</th><th>note</th></tr></thead><tbody>"
        for d in decisions.reversed() {
            let to = d.action == "conflict" ? "(not applied; attempted draft kept)" : (d.newValue ?? "")
            h += "<tr class=\"act-\(HTML.esc(d.action))\"><td>\(HTML.esc(d.at))</td><td>\(HTML.esc(d.reviewer))</td><td>\(HTML.esc(d.action))</td><td>\(HTML.esc(d.field ?? ""))</td><td>\(HTML.esc(d.oldValue ?? ""))</td><td>\(HTML.esc(to))</td><td>\(d.baseRevision)→\(d.revision.map(String.init) ?? "—")</td><td>\(HTML.esc(d.note ?? ""))</td></tr>"
        }
        return h + "</tbody></table></section>"
    }

    // MARK: - Conflict, errors

    func conflict(id: Int64, base: Int, current: Int, by: String?, changes: [Store.FieldChange]) -> String {
        var body = """
        <h1>Not saved: this draft changed while you were editing</h1>
        <p class="notice error" role="alert">You edited revision \(base); \(HTML.esc(by ?? "another reviewer")) has since saved revision \(current).
        Your changes were <b>not</b> applied, so theirs are not overwritten. What you tried is kept in the draft's history.</p>
        """
        if !changes.isEmpty {
            body += "<h2>Your changes</h2><table><tr><th>field</th><th>from</th><th>to</th></tr>"
            for c in changes { body += "<tr><td>\(HTML.esc(c.field))</td><td>\(HTML.esc(c.old))</td><td>\(HTML.esc(c.new))</td></tr>" }
            body += "</table>"
        }
        body += "<p><a href=\"/drafts/\(id)\" id=\"reload\">Open the current version</a> and apply them again if they still hold.</p>"
        return HTML.page(title: "Conflict", nav: "draft", body: body)
    }

    static func error(_ status: Int, _ title: String, _ message: String) -> String {
        HTML.page(title: title, nav: "error", body: "<h1>\(status) \(HTML.esc(title))</h1><p>\(HTML.esc(message))</p><p><a href=\"/\">Back to the queue</a></p>")
    }

    // MARK: - Metrics

    func metrics(_ m: Store.ReviewMetrics) -> String {
        var body = """
        <h1>Suggestion accuracy</h1>
        <p>Measured on reviewers' decisions: a draft counts once approved (as suggested, corrected or reassigned).</p>
        <table class="headline"><tr><th>approved</th><td id="m-decided">\(m.decided)</td></tr>
        <tr><th>suggested unit kept (first-dispatch accuracy)</th><td id="m-unit-kept">\(m.unitKept) / \(m.decided) = \(HTML.pct(m.unitKeptRate))</td></tr>
        <tr><th>topic kept</th><td>\(m.topicKept) / \(m.decided)</td></tr>
        <tr><th>request type kept</th><td>\(m.typeKept) / \(m.decided)</td></tr>
        <tr><th>rejected</th><td>\(m.rejected)</td></tr><tr><th>waiting</th><td>\(m.pending)</td></tr></table>
        """
        func lines(_ title: String, _ ls: [Store.ReviewMetrics.Line], label: (String) -> String) -> String {
            var t = "<h2>\(title)</h2><table><thead><tr><th></th><th>approved</th><th>unit kept</th><th>rate</th></tr></thead><tbody>"
            for l in ls { t += "<tr><td>\(HTML.esc(label(l.key)))</td><td>\(l.decided)</td><td>\(l.kept)</td><td>\(HTML.pct(l.rate))</td></tr>" }
            return t + "</tbody></table>"
        }
        body += lines("By topic (as approved)", m.byTopic, label: topicLabel)
        body += lines("By suggested unit", m.byUnit, label: unitLabel)
        let suggested = m.confusion.keys.sorted()
        let chosen = Set(m.confusion.values.flatMap(\.keys)).sorted()
        body += "<h2>Suggested (rows) × chosen (columns)</h2>"
        if suggested.isEmpty { body += "<p class=\"empty\">No approvals yet.</p>" }
        else {
            body += "<div class=\"scroll\"><table class=\"confusion\" id=\"confusion\"><thead><tr><th></th>" + chosen.map { "<th>\(HTML.esc($0))</th>" }.joined() + "</tr></thead><tbody>"
            for s in suggested {
                body += "<tr><th>\(HTML.esc(s))</th>"
                for c in chosen {
                    let n = m.confusion[s]?[c] ?? 0
                    body += "<td class=\"\(s == c ? "diag" : (n > 0 ? "off" : ""))\">\(n > 0 ? String(n) : "")</td>"
                }
                body += "</tr>"
            }
            body += "</tbody></table></div>"
        }
        return HTML.page(title: "Metrics", nav: "metrics", body: body)
    }
}
