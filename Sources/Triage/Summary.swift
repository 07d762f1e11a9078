import Foundation
import Spotting

/// The ticket summary in the register of a 12345 ticket (来电人反映……，诉求……), assembled only
/// from what the call contains: the clauses of the transcript that carry the topic's evidence and
/// the caller's request, in the caller's order, first person turned into 来电人/其, fillers and
/// greetings dropped. Audio without a transcript gets the topic and the keywords heard.
public enum Summarizer {
    static let greetings = ["喂", "你好", "您好", "是12345吗", "是不是12345", "12345吗", "谢谢", "麻烦了", "再见", "好的", "嗯", "啊", "对", "是这样的", "是这样"]
    static let fillers = ["喂", "嗯", "啊", "呃", "哎", "那个", "就是说", "然后", "就是", "这个", "你好", "您好"]
    static let askCues = ["希望", "请你们", "请", "麻烦", "能不能", "能否", "可不可以", "帮忙", "帮我", "帮帮", "要求", "赶紧", "尽快",
                          "想问", "问一下", "问问", "建议", "怎么办", "管一管", "管管", "处理", "解决", "派人", "查一查", "查查", "给个说法", "退钱", "退款"]
    static let defaultAsk = ["complain": "请相关部门核实处理", "help": "请求帮助解决", "report": "请相关部门核查处理",
                             "consult": "咨询相关事宜", "suggest": "提出建议，请相关部门研究"]

    public static func summary(transcript: String?, hits: [KeywordHit], topicEvidence: [String],
                               evidence: [TicketDraft.Evidence], topicName: String, type: String,
                               place: ResolvedPlace, handoff: String?) -> String {
        var out = handoff.map { "【紧急：建议立即转\($0)】" } ?? ""
        let placeText = [place.district, place.street, place.address ?? place.name].compactMap { $0 }.joined()
        if hits.isEmpty && (transcript ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return out + "录音中未识别到关键词，也无转写文本，请人工听取录音后填写。"
        }
        guard let text = transcript, !text.isEmpty else {
            let kws = hits.sorted { $0.score > $1.score }.prefix(4).map(\.keyword)
            out += (type == "consult" ? "来电人咨询" : "来电人反映") + placeText + topicName + "问题"
            if !kws.isEmpty { out += "（录音关键词：" + kws.joined(separator: "、") + "）" }
            if type != "consult" { out += "，诉求：" + (defaultAsk[type] ?? "请相关部门处理") }
            out += "。"
            return out
        }
        let clauses = FeatureExtractor.clauses(text)
        // Character spans of the topic's evidence.
        let spans = evidence.filter { topicEvidence.contains($0.id) }.compactMap { e -> (Int, Int)? in
            guard let s = e.charStart, let t = e.charEnd else { return nil }
            return (s, t)
        }
        func isGreeting(_ c: String) -> Bool { greetings.contains(c) || c.count <= 2 }
        var problem: [Int] = []
        for (i, c) in clauses.enumerated() where !isGreeting(c.text) {
            if spans.contains(where: { $0.0 < c.end && $0.1 > c.start }) { problem.append(i) }
        }
        if problem.isEmpty, let first = clauses.indices.first(where: { !isGreeting(clauses[$0].text) }) { problem = [first] }
        problem = Array(problem.prefix(3))
        var ask: Int? = nil
        for (i, c) in clauses.enumerated().reversed() where !problem.contains(i) && !isGreeting(c.text) {
            if askCues.contains(where: { c.text.contains($0) }) { ask = i; break }
        }
        // The caller's request often closes the problem clause itself (……，麻烦让热力公司来看看).
        if ask == nil, problem.count > 1, let last = problem.last, askCues.contains(where: { clauses[last].text.contains($0) }) {
            ask = last; problem.removeLast()
        }
        // Clauses between problem clauses are kept too when short (they usually carry the detail).
        if let lo = problem.first, let hi = problem.last, hi - lo <= 3 { problem = Array(lo...hi).filter { $0 != ask } }
        let body = problem.map { rewrite(clauses[$0].text) }.filter { !$0.isEmpty }
        let mentionsPlace = placeText.isEmpty || body.contains { b in [place.street, place.district, place.address, place.name].compactMap { $0 }.contains { b.contains($0) } }
        if type == "consult" {
            // A consultation is its question: the problem clauses and the asking clause in the
            // caller's order, without bare cue clauses (我想问一下).
            var idx = problem
            if let a = ask, clauses[a].text.count > 6 { idx.append(a) }
            let q = idx.sorted().map { rewrite(clauses[$0].text) }.filter { !$0.isEmpty }
            out += "来电人咨询：" + (mentionsPlace ? "" : placeText + "，") + q.joined(separator: "，") + "。"
            return out
        }
        out += "来电人反映：" + (mentionsPlace ? "" : placeText + "，") + body.joined(separator: "，") + "。"
        out += "诉求：" + (ask.map { rewrite(clauses[$0].text) } ?? defaultAsk[type] ?? "请相关部门处理") + "。"
        return out
    }

    /// Drops leading fillers and turns the first person into the ticket's third person.
    static func rewrite(_ clause: String) -> String {
        var s = clause
        var changed = true
        while changed {
            changed = false
            for f in fillers where s.hasPrefix(f) && s.count > f.count { s.removeFirst(f.count); changed = true }
        }
        for (a, b) in [("我们家", "其家"), ("我家", "其家"), ("我们小区", "其所在小区"), ("我们这", "其所在地"), ("咱们", "其"),
                       ("我们", "其"), ("我", "其")] {
            s = s.replacingOccurrences(of: a, with: b)
        }
        return s
    }
}
