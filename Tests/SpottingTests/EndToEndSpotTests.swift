import AudioIO
import Foundation
import SignalKit
import Spotting
import TestSupport
import XCTest

/// The committed model on the committed fixtures: keywords said in the fixture calls are found
/// at their reference times (±0.5 s, the labelled-set convention).
final class EndToEndSpotTests: XCTestCase {
    /// The shipped list and the shipped thresholds must move together: a keyword added without
    /// recalibration would be spotted at the bare default threshold and flood the review queue
    /// with false alarms (it happened: 125 hand-off cues once had no threshold).
    func testEveryShippedKeywordHasACalibratedThreshold() throws {
        let models = Fixtures.root.appendingPathComponent("Models")
        let lex = try Lexicon(directory: models.appendingPathComponent("lexicon"))
        let list = try KeywordList.load(models.appendingPathComponent("keywords.tsv"), lexicon: lex)
        let table = try ThresholdTable.load(models.appendingPathComponent("acoustic/thresholds.tsv"))
        let missing = list.map(\.text).filter { table[$0] == nil }
        XCTAssertEqual(missing, [], "keywords without a calibrated threshold: run `calltriage model calibrate`")
        XCTAssertTrue(table.values.allSatisfy { $0 > 0 && $0 <= 1 })
    }

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
        // Raw posterior scores with the tone term sit well below 1; 0.1 finds them all here
        // without a single wrong keyword.
        var raw = Spotter(model: model, keywords: keywords)
        raw.options.threshold = 0.1
        try check(raw, refs, minRecall: 0.9)
        // The shipped configuration: the hit verifier and its thresholds.
        let table = try ThresholdTable.load(models.appendingPathComponent("acoustic/thresholds.tsv"))
        var shipped = Spotter(model: model, keywords: keywords.map { var k = $0; k.threshold = table[k.text]; return k })
        shipped.verifier = try HitVerifier(contentsOf: models.appendingPathComponent("acoustic/verifier.tsv"))
        try check(shipped, refs, minRecall: 0.8)
    }

    func check(_ spotter: Spotter, _ refs: [(FixtureEntry, String, Double, Double)], minRecall: Double) throws {
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
        XCTAssertGreaterThanOrEqual(recall, minRecall, "found \(found) of \(refs.count) fixture keywords")
        // No false alarms: on the caller channel every hit is a keyword the file's manifest names.
        for (path, hits) in cache {
            let said = Set(refs.filter { $0.0.path == path }.map(\.1))
            for h in hits where h.channel == "caller" {
                XCTAssertTrue(said.contains(h.keyword), "\(path): \(h.keyword) at \(h.start ?? 0) is a false alarm")
            }
        }
        // Silence and tones give no keyword at all.
        for f in ["q_digital_silence.wav", "dtmf_all16_clean.wav"] {
            if let e = Fixtures.entry(f) { XCTAssertTrue(try spotter.spot(path: e.path).isEmpty, f) }
        }
    }
}

/// Forced alignment with the committed model: the route for retraining on a centre's recordings.
final class AlignerTests: XCTestCase {
    func testAlignsFixtureTranscript() throws {
        let models = Fixtures.root.appendingPathComponent("Models")
        let modelURL = models.appendingPathComponent("acoustic/kws.ctkws")
        guard FileManager.default.fileExists(atPath: modelURL.path) else { throw XCTSkip("no committed acoustic model yet") }
        let e = try XCTUnwrap(Fixtures.entry("speech_heating.wav"))
        let transcript = try XCTUnwrap(e.raw["transcript"] as? String)
        let kw = try XCTUnwrap((e.raw["keywords"] as? [[String: Any]])?.first)
        let (ks, ke) = (kw["start"] as! Double, kw["end"] as! Double)
        let model = try AcousticModel(contentsOf: modelURL)
        let lex = try Lexicon(directory: models.appendingPathComponent("lexicon"))
        let (_, chans) = try AnalysisStream.readAll(path: e.path, analysisRate: 8000)
        let frames = ModelInputStream.rawFrames(chans[0], config: model.feature).count
        let labels = try XCTUnwrap(ForcedAligner(model: model, lexicon: lex).align(samples: chans[0], transcript: transcript, frames: frames))
        XCTAssertEqual(labels.count, frames)
        let sil = Int32(PhoneSet.index["sil"]!)
        // Leading silence before the first syllable (speech starts at 0.35 s).
        XCTAssertEqual(labels[5], sil)
        // Inside the keyword 暖气不热 the frames carry its phones.
        let keywordUnits = Set(["n", "uan", "q", "i", "b", "u", "r", "e"].map { Int32(PhoneSet.index[$0]!) })
        let inside = (Int(ks * 100) + 2)..<(Int(ke * 100) - 2)
        let share = Double(inside.filter { keywordUnits.contains(labels[$0]) }.count) / Double(inside.count)
        XCTAssertGreaterThan(share, 0.8, "share of keyword frames labelled with its phones: \(share)")
        // The phones appear in order.
        let order = inside.map { labels[$0] }.filter { keywordUnits.contains($0) }
        XCTAssertEqual(order.first, Int32(PhoneSet.index["n"]!))
        XCTAssertEqual(order.last, Int32(PhoneSet.index["e"]!))
    }
}
