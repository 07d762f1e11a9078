import Foundation
@testable import Spotting
import XCTest

/// The hit verifier: alignment of a keyword to a hit's frames, its features, the regression, the
/// file format, and the decoder using it.
final class VerifierTests: XCTestCase {
    let u = PhoneSet.units.count
    func unit(_ p: String) -> Int { PhoneSet.index[p]! }

    /// Posteriors (no tone head): `best[t]` at `p`, the rest sharing 1 − p.
    func posteriors(_ best: [String], p: Float = 0.9) -> [Float] {
        var out: [Float] = []
        for b in best { let i = unit(b); for j in 0..<u { out.append(logf(j == i ? p : (1 - p) / Float(u - 1))) } }
        return out
    }

    func chain(_ phones: [String], min: Int = 2, max: Int = 8) -> HitFeatures.Chain {
        HitFeatures.Chain(units: phones.map(unit), tones: [UInt8](repeating: 0, count: phones.count),
                          minFrames: [Int](repeating: min, count: phones.count), maxFrames: [Int](repeating: max, count: phones.count))
    }

    func testAlignmentFindsTheSegmentBoundaries() throws {
        let seq = ["n", "n", "n", "n", "uan", "uan", "q", "q", "q", "i", "i", "i"]
        let p = posteriors(seq)
        let a = try XCTUnwrap(p.withUnsafeBufferPointer {
            HitFeatures.align(chain(["n", "uan", "q", "i"]), span: $0, rows: seq.count, columns: u, toneOffset: nil)
        })
        XCTAssertEqual(a.bounds, [0, 4, 6, 9, 12])
        XCTAssertEqual(a.score, Float(seq.count) * logf(0.9), accuracy: 1e-4)
        // Duration limits bind: at most 3 frames per state puts the first boundary at 3, not 4.
        let b = try XCTUnwrap(p.withUnsafeBufferPointer {
            HitFeatures.align(chain(["n", "uan", "q", "i"], min: 2, max: 3), span: $0, rows: seq.count, columns: u, toneOffset: nil)
        })
        XCTAssertEqual(b.bounds, [0, 3, 6, 9, 12])
    }

    func testSpansTheDurationsCannotFillAreRefused() {
        let p = posteriors(["n", "n", "n"])
        p.withUnsafeBufferPointer { sp in
            XCTAssertNil(HitFeatures.align(chain(["n", "uan"]), span: sp, rows: 3, columns: u, toneOffset: nil), "4 frames at least")
        }
        let long = posteriors([String](repeating: "n", count: 20))
        XCTAssertNil(HitFeatures.compute(chains: [chain(["n", "uan"])], characters: 1, span: long, rows: 20, columns: u,
                                         toneOffset: nil, frameSeconds: 0.02, rawScore: 0.5), "16 frames at most")
    }

    func testFeaturesOfAPerfectAndOfAFlawedFit() throws {
        let seq = ["n", "n", "n", "n", "uan", "uan", "uan", "uan"]
        let good = try XCTUnwrap(HitFeatures.compute(chains: [chain(["n", "uan"])], characters: 1, span: posteriors(seq),
                                                     rows: seq.count, columns: u, toneOffset: nil, frameSeconds: 0.02, rawScore: 0.9))
        XCTAssertEqual(good.count, HitFeatures.measured)
        let f = Dictionary(uniqueKeysWithValues: zip(HitFeatures.names, good))
        XCTAssertEqual(f["raw_log_score"]!, logf(0.9), accuracy: 1e-5)
        XCTAssertEqual(f["mean_phone_logp"]!, logf(0.9), accuracy: 1e-5)
        XCTAssertEqual(f["mean_margin"]!, 0, accuracy: 1e-6, "the keyword's phone is the best unit on every frame")
        XCTAssertEqual(f["best_frame_share"]!, 1)
        XCTAssertEqual(f["silence_share"]!, 0)
        XCTAssertEqual(f["phones"]!, 2)
        XCTAssertEqual(f["log_seconds_per_character"]!, logf(0.16), accuracy: 1e-5)
        XCTAssertEqual(f["weak_phone_share"]!, 0)
        // The second phone's frames are silence: its margin and posterior collapse, silence shows.
        let bad = try XCTUnwrap(HitFeatures.compute(chains: [chain(["n", "uan"])], characters: 1,
                                                    span: posteriors(["n", "n", "n", "n", "sil", "sil", "sil", "sil"]),
                                                    rows: 8, columns: u, toneOffset: nil, frameSeconds: 0.02, rawScore: 0.3))
        let g = Dictionary(uniqueKeysWithValues: zip(HitFeatures.names, bad))
        XCTAssertEqual(g["silence_share"]!, 0.5)
        XCTAssertEqual(g["best_frame_share"]!, 0.5)
        XCTAssertEqual(g["min_margin"]!, logf(0.1 / Float(u - 1)) - logf(0.9), accuracy: 1e-4)
        XCTAssertEqual(g["weak_phone_share"]!, 0.5)
    }

    func testFitSeparatesRoundTripsAndLoadsPriors() throws {
        // Feature 0 separates the classes; the rest is noise. Deterministic data.
        var x: [[Float]] = [], y: [Bool] = []
        for i in 0..<200 {
            let real = i % 3 == 0
            var row = [Float](repeating: 0, count: HitFeatures.names.count)
            for j in row.indices { row[j] = Float((i * 7 + j * 13) % 11) / 11 }
            row[0] = (real ? 1 : -1) + Float(i % 5) * 0.3 - 0.6
            x.append(row); y.append(real)
        }
        var v = HitVerifier.fit(x, y, l2: 1e-3, candidateFloor: 0.05, notes: ["test"])
        XCTAssertGreaterThan(v.weights[0], 0)
        let accuracy = zip(x, y).filter { (v.probability($0) >= 0.5) == $1 }.count
        XCTAssertGreaterThanOrEqual(accuracy, 190)
        v.priors = ["暖气不热": .init(falseAlarmRate: -1.5, realShare: -0.2), "*2": .init(falseAlarmRate: 2, realShare: -3)]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("v-\(UUID().uuidString).tsv")
        defer { try? FileManager.default.removeItem(at: url) }
        try v.write(to: url)
        let back = try HitVerifier(contentsOf: url)
        XCTAssertEqual(back.weights, v.weights)
        XCTAssertEqual(back.mean, v.mean)
        XCTAssertEqual(back.bias, v.bias)
        XCTAssertEqual(back.candidateFloor, 0.05)
        XCTAssertEqual(back.priors, v.priors)
        // A keyword the fit never saw takes the prior of its length; a known one its own.
        XCTAssertEqual(back.prior(of: "没电").falseAlarmRate, 2)
        XCTAssertEqual(back.prior(of: "暖气不热").falseAlarmRate, -1.5)
        XCTAssertEqual(back.features([1, 2], keyword: "暖气不热"), [1, 2, -1.5, -0.2])
        // Determinism.
        XCTAssertEqual(HitVerifier.fit(x, y, l2: 1e-3, candidateFloor: 0.05).weights, HitVerifier.fit(x, y, l2: 1e-3, candidateFloor: 0.05).weights)
    }

    func testLoaderRejectsBrokenFiles() throws {
        func load(_ text: String) -> String {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("v-\(UUID().uuidString).tsv")
            defer { try? FileManager.default.removeItem(at: url) }
            try? text.write(to: url, atomically: true, encoding: .utf8)
            do { _ = try HitVerifier(contentsOf: url); return "loaded" } catch { return "\(error)" }
        }
        let header = "# calltriage-verifier v1\nname\tmean\tstd\tweight\n"
        XCTAssertTrue(load("# calltriage-verifier v9\nname\tmean\tstd\tweight\n").contains("v9") || load("# calltriage-verifier v9\n").contains("version"))
        XCTAssertTrue(load(header + "bias\t0\n").contains("candidate_floor and bias"))
        XCTAssertTrue(load(header + "candidate_floor\t0.05\nbias\t0\nraw_log_score\t0\t1\t1\n").contains("missing features"))
        XCTAssertTrue(load(header + "candidate_floor\t0.05\nbias\t0\nloudness\t0\t1\t1\n").contains("unknown feature 'loudness'"))
        XCTAssertTrue(load(header + "candidate_floor\t2\n").contains("candidate_floor must be in (0, 1)"))
    }

    func testDecoderScoresCandidatesWithTheVerifierAndAppliesTheThreshold() throws {
        let lex = LexiconTests.lexicon
        var kw = try KeywordList.compile("暖气", lexicon: lex)
        kw.threshold = 0.6
        var seq = [String](repeating: "sil", count: 10)
        seq += ["n", "n", "n", "n", "uan", "uan", "uan", "uan", "q", "q", "i", "i", "i", "i"]
        seq += [String](repeating: "sil", count: 30)
        let p = posteriors(seq)
        let n = HitFeatures.names.count
        func run(bias: Float) -> [KeywordHit] {
            // Weights zero: the probability is σ(bias) whatever the hit looks like.
            let v = HitVerifier(mean: [Float](repeating: 0, count: n), std: [Float](repeating: 1, count: n),
                                weights: [Float](repeating: 0, count: n), bias: bias, candidateFloor: 0.05)
            let d = KeywordDecoder(keywords: [kw], frameSeconds: 0.02, verifier: v)
            var seen: [[Float]] = []
            d.featureSink = { _, _, f in seen.append(f) }
            d.accept(Array(p[0..<(20 * u)]), rows: 20)
            d.accept(Array(p[(20 * u)...]), rows: seq.count - 20)
            let hits = d.finish()
            XCTAssertEqual(seen.count, 1, "one candidate, verified once")
            XCTAssertEqual(seen.first?[0] ?? 0, logf(0.9), accuracy: 1e-4, "the features see the raw score")
            return hits
        }
        let kept = run(bias: 2)
        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(kept[0].score, 1 / (1 + exp(-2)), accuracy: 1e-6, "the hit's score is the verifier's probability")
        XCTAssertEqual(kept[0].start!, 0.0125 + 10 * 0.02 - 0.01, accuracy: 1e-9)
        XCTAssertEqual(run(bias: -2).count, 0, "σ(−2) = 0.12 is below the keyword's 0.6")
    }

    func testShippedVerifierLoadsAndKnowsEveryShippedKeyword() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Models")
        let v = try HitVerifier(contentsOf: root.appendingPathComponent("acoustic/verifier.tsv"))
        let kws = try KeywordList.load(root.appendingPathComponent("keywords.tsv"), lexicon: LexiconTests.lexicon)
        let missing = kws.map(\.text).filter { v.priors[$0] == nil }
        XCTAssertEqual(missing, [], "refit the verifier after changing the keyword list")
        for n in 2...5 { XCTAssertNotNil(v.priors["*\(n)"]) }
        XCTAssertEqual(v.weights.count, HitFeatures.names.count)
    }
}
