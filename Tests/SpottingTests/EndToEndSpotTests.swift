import AudioIO
import Foundation
import Spotting
import TestSupport
import XCTest

/// The committed model on the committed fixtures: keywords said in the fixture calls are found
/// at their reference times (±0.5 s, the labelled-set convention).
final class EndToEndSpotTests: XCTestCase {
    func testCommittedModelFindsFixtureKeywords() throws {
        let models = Fixtures.root.appendingPathComponent("Models")
        let modelURL = models.appendingPathComponent("acoustic/kws.ctkws")
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw XCTSkip("no committed acoustic model yet")
        }
        let lex = try Lexicon(directory: models.appendingPathComponent("lexicon"))
        let model = try AcousticModel(contentsOf: modelURL, expecting: AcousticFeatureConfig())
        var refs: [(FixtureEntry, String, Double, Double)] = []
        for e in Fixtures.entries where e.error == nil {
            for k in e.raw["keywords"] as? [[String: Any]] ?? [] {
                if let t = k["text"] as? String, let s = k["start"] as? Double, let en = k["end"] as? Double,
                   (k["channel"] as? String ?? "caller") == "caller" {
                    refs.append((e, t, s, en))
                }
            }
        }
        XCTAssertGreaterThanOrEqual(refs.count, 5)
        let keywords = try Set(refs.map(\.1)).sorted().map { try KeywordList.compile($0, lexicon: lex) }
        var spotter = Spotter(model: model, keywords: keywords)
        spotter.options.threshold = 0.5
        var found = 0
        var cache: [String: [KeywordHit]] = [:]
        for (e, text, s, en) in refs {
            var roles: ChannelRoles? = nil
            if let ch = e.raw["channels"] as? [String: Int], let c = ch["caller"] { roles = ChannelRoles(caller: c, agent: ch["agent"]) }
            let hits: [KeywordHit]
            if let cached = cache[e.path] { hits = cached } else { hits = try spotter.spot(path: e.path, roles: roles) }
            cache[e.path] = hits
            let ok = hits.contains { (h: KeywordHit) -> Bool in
                guard h.keyword == text, h.channel == "caller", let hs = h.start, let he = h.end else { return false }
                let centre = (hs + he) / 2
                return centre >= s - 0.5 && centre <= en + 0.5
            }
            if ok { found += 1 }
        }
        let recall = Double(found) / Double(refs.count)
        XCTAssertGreaterThanOrEqual(recall, 0.9, "found \(found) of \(refs.count) fixture keywords")
        // Silence and tones give no keyword at all.
        for f in ["q_digital_silence.wav", "dtmf_all16_clean.wav"] {
            if let e = Fixtures.entry(f) { XCTAssertTrue(try spotter.spot(path: e.path).isEmpty, f) }
        }
    }
}
