import Foundation
import SignalKit
import Spotting
import TestSupport
import XCTest

final class LexiconTests: XCTestCase {
    static let lexicon: Lexicon = try! Lexicon(directory: Fixtures.root.appendingPathComponent("Models/lexicon"))

    func testSyllableParsing() {
        func s(_ p: String) -> String? { Syllable(p).map { ($0.initial ?? "-") + "+" + $0.final } }
        XCTAssertEqual(s("hang2"), "h+ang")
        XCTAssertEqual(s("yuan2"), "-+van")
        XCTAssertEqual(s("jiu3"), "j+iou")
        XCTAssertEqual(s("jue2"), "j+ve")
        XCTAssertEqual(s("qun2"), "q+vn")
        XCTAssertEqual(s("dui4"), "d+uei")
        XCTAssertEqual(s("lun2"), "l+uen")
        XCTAssertEqual(s("zhi1"), "zh+iii")
        XCTAssertEqual(s("si4"), "s+ii")
        XCTAssertEqual(s("ri4"), "r+iii")
        XCTAssertEqual(s("lv4"), "l+v")
        XCTAssertEqual(s("lü4"), "l+v")
        XCTAssertEqual(s("er2"), "-+er")
        XCTAssertEqual(s("wei4"), "-+uei")
        XCTAssertEqual(s("yi1"), "-+i")
        XCTAssertEqual(s("ying2"), "-+ing")
        XCTAssertEqual(s("wu3"), "-+u")
        XCTAssertEqual(Syllable("hang2")?.tone, 2)
        XCTAssertNil(Syllable("xyz"))
        XCTAssertNil(Syllable("hello"))
    }

    func testLexiconCoversCommonCharactersAndPolyphones() {
        let lex = LexiconTests.lexicon
        XCTAssertGreaterThan(lex.chars.count, 3500)
        for c in "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年暖气热噪音扰民拖欠工资" {
            XCTAssertNotNil(lex.chars[c], "no reading for \(c)")
        }
        XCTAssertEqual(lex.bestReading(of: "银行").map(\.description), ["yin2", "hang2"])
        XCTAssertEqual(lex.bestReading(of: "重庆").map(\.description), ["chong2", "qing4"])
        XCTAssertEqual(lex.bestReading(of: "长大").map(\.description), ["zhang3", "da4"])
        XCTAssertEqual(lex.bestReading(of: "行")[0].description, "xing2")
        // Alternatives are kept after the word reading.
        let r = lex.readings(of: "银行")
        XCTAssertEqual(r[1].first?.description, "hang2")
        XCTAssertTrue(r[1].contains { $0.description == "xing2" })
    }

    func testLexiconFilesAreTrimmedAndCheckedLineByLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lex-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let chars = dir.appendingPathComponent("chars.tsv")
        // Blanks of every kind around fields (space, tab, no-break space, ideographic space) and
        // Windows line ends.
        try "# \(Lexicon.charsFormat)\r\nchar\treadings\r\n 行 \t xing2,hang2 \r\n\t\r\n\u{3000}银\u{00A0}\tyin2\r\n".write(to: chars, atomically: true, encoding: .utf8)
        try "# \(Lexicon.wordsFormat)\nword\tpinyin\n银行 \t yin2 hang2\n".write(
            to: dir.appendingPathComponent("words.tsv"), atomically: true, encoding: .utf8)
        let lex = try Lexicon(directory: dir)
        XCTAssertEqual(lex.chars["行"]?.map(\.description), ["xing2", "hang2"], "blanks around fields are dropped")
        XCTAssertEqual(lex.words["银行"]?.map(\.description), ["yin2", "hang2"])
        XCTAssertEqual(lex.chars["银"]?.map(\.description), ["yin2"])
        // The same spelling parsed once still gives equal syllables everywhere it occurs.
        XCTAssertEqual(lex.words["银行"]?[1], lex.chars["行"]?[1])
        try "# \(Lexicon.charsFormat)\nchar\treadings\n行\txing2\n银\tnot-pinyin\n".write(to: chars, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Lexicon(directory: dir)) { e in
            XCTAssertTrue("\(e)".contains("line 4: no valid pinyin in 'not-pinyin'"), "\(e)")
        }
    }

    func testKeywordCompilation() throws {
        let lex = LexiconTests.lexicon
        let k = try KeywordList.compile("暖气不热", lexicon: lex)
        XCTAssertEqual(k.pronunciations.first, ["n", "uan", "q", "i", "b", "u", "r", "e"])
        let bank = try KeywordList.compile("银行", lexicon: lex)
        XCTAssertEqual(bank.pronunciations.first, ["in", "h", "ang"])
        XCTAssertEqual(bank.pronunciations.count, 1, "a word entry fixes the polyphone's reading")
        // Without a word entry every reading of a polyphone is searched (行 alone: xing, hang, heng).
        let hang = try KeywordList.compile("行", lexicon: lex)
        XCTAssertEqual(hang.pronunciations.first, ["x", "ing"])
        XCTAssertTrue(hang.pronunciations.contains(["h", "ang"]))
        XCTAssertLessThanOrEqual(try KeywordList.compile("长长长长", lexicon: lex).pronunciations.count, KeywordList.maxPronunciations)
        XCTAssertThrowsError(try KeywordList.compile("ABC", lexicon: lex))
    }

    func testKeywordFilesBothFormats() throws {
        let lex = LexiconTests.lexicon
        let list = try KeywordList.load(Fixtures.root.appendingPathComponent("Models/keywords.tsv"), lexicon: lex)
        XCTAssertGreaterThanOrEqual(list.count, 300)
        XCTAssertTrue(list.contains { $0.text == "暖气不热" && $0.topics.contains("heating") })
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("kw-\(UUID().uuidString).txt")
        try "# my list\n飞线充电 #0.6\n噪音扰民\n\n噪音扰民\n".write(to: tmp, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let mine = try KeywordList.load(tmp, lexicon: lex)
        XCTAssertEqual(mine.map(\.text), ["飞线充电", "噪音扰民"])
        XCTAssertEqual(mine[0].threshold, 0.6)
        XCTAssertNil(mine[1].threshold)
        try "飞线充电 #high\n".write(to: tmp, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try KeywordList.load(tmp, lexicon: lex))
        // A keyword that cannot be spotted is skipped with a warning; the rest still load.
        try "5G信号差\n信号差\n".write(to: tmp, atomically: true, encoding: .utf8)
        var warnings: [String] = []
        let partial = try KeywordList.load(tmp, lexicon: lex) { warnings.append($0) }
        XCTAssertEqual(partial.map(\.text), ["信号差"])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("'5'"), warnings[0])
    }
}

final class TextMatcherTests: XCTestCase {
    func testExactHomophoneAndOffsets() throws {
        let lex = LexiconTests.lexicon
        let kws = try ["暖气不热", "暖气", "拖欠工资", "噪音扰民"].map { try KeywordList.compile($0, lexicon: lex) }
        let m = TextMatcher(keywords: kws, lexicon: lex)
        let hits = m.match("喂，我家暖气不热。老板拖欠公资，楼下噪音扰民！")
        XCTAssertEqual(hits.map(\.keyword), ["暖气不热", "拖欠工资", "噪音扰民"])
        XCTAssertEqual(hits[0].charStart, 4); XCTAssertEqual(hits[0].charEnd, 8)
        XCTAssertEqual(hits[0].score, 1.0)
        XCTAssertEqual(hits[1].score, 0.9, "公资 is a toned homophone of 工资")
        XCTAssertEqual(hits[2].charStart, 18)
        XCTAssertTrue(m.match("今天天气很好").isEmpty)
        // Flat/retroflex confusion (z/zh) in one syllable of a longer keyword.
        XCTAssertEqual(m.match("拖欠工知").first?.score, 0.7)
    }
}

final class DecoderTests: XCTestCase {
    /// Posteriors where `best[t]` has probability 0.9 and the rest share 0.1.
    func posteriors(_ best: [String]) -> [Float] {
        let u = PhoneSet.units.count
        var out: [Float] = []
        for b in best {
            let i = PhoneSet.index[b]!
            for j in 0..<u { out.append(logf(j == i ? 0.9 : 0.1 / Float(u - 1))) }
        }
        return out
    }

    func testExactHitOnConstructedPosteriors() throws {
        let lex = LexiconTests.lexicon
        let kws = try ["暖气", "气温"].map { try KeywordList.compile($0, lexicon: lex) }
        var seq = [String](repeating: "sil", count: 10)
        seq += ["n", "n", "n", "n", "uan", "uan", "uan", "uan", "q", "q", "i", "i", "i", "i"]
        seq += [String](repeating: "sil", count: 10)
        let d = KeywordDecoder(keywords: kws, frameSeconds: 0.02, frameOffset: 0.0125, channel: "caller")
        // Feed in two chunks to exercise streaming.
        let p = posteriors(seq)
        let u = PhoneSet.units.count
        d.accept(Array(p[0..<(15 * u)]), rows: 15)
        d.accept(Array(p[(15 * u)...]), rows: seq.count - 15)
        let hits = d.finish()
        XCTAssertEqual(hits.count, 1)
        let h = try XCTUnwrap(hits.first)
        XCTAssertEqual(h.keyword, "暖气")
        XCTAssertEqual(h.score, 0.9, accuracy: 1e-6, "posterior scoring: every frame's phone at 0.9")
        XCTAssertEqual(h.start!, 0.0125 + 10 * 0.02 - 0.01, accuracy: 1e-9)
        XCTAssertEqual(h.end!, 0.0125 + 23 * 0.02 + 0.01, accuracy: 1e-9)
        XCTAssertEqual(h.channel, "caller")
    }

    func testPosteriorScoringIsTheGeometricMeanPosterior() throws {
        // Same keyword at posterior 0.9 per frame: the ratio score saturates at 1, the posterior
        // score is exactly 0.9 (exp of the mean log posterior), and a weaker 0.6 match scores 0.6.
        let lex = LexiconTests.lexicon
        let kws = try ["暖气"].map { try KeywordList.compile($0, lexicon: lex) }
        let seq = ["sil", "sil", "n", "n", "uan", "uan", "uan", "uan", "q", "q", "i", "i", "i", "i", "sil", "sil"]
        var o = KeywordDecoder.Options(); o.scoring = .posterior; o.threshold = 0.3
        let d = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: o)
        d.accept(posteriors(seq), rows: seq.count)
        let h = d.finish()
        XCTAssertEqual(h.count, 1)
        XCTAssertEqual(h.first?.score ?? 0, 0.9, accuracy: 1e-5)
        let u = PhoneSet.units.count
        let weak: [Float] = seq.flatMap { b -> [Float] in
            let i = PhoneSet.index[b]!
            return (0..<u).map { logf($0 == i ? 0.6 : 0.4 / Float(u - 1)) }
        }
        let d2 = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: o)
        d2.accept(weak, rows: seq.count)
        let weakHit = d2.finish().first
        XCTAssertEqual(weakHit?.score ?? 0, 0.6, accuracy: 1e-5)
        // Triage's evidence strength is measured from the threshold (0.3): 0.6 lies
        // ln 2 / ln(1/0.3) of the way to 1 on a log scale → 0.55 + 0.45 × 0.5757.
        XCTAssertEqual(weakHit?.confidence ?? 0, 0.55 + 0.45 * log(2) / log(1 / 0.3), accuracy: 1e-4)
        XCTAssertEqual(h.first?.confidence ?? 0, 0.55 + 0.45 * log(3) / log(1 / 0.3), accuracy: 1e-4)
        // The evidence strength triage uses is measured from the keyword's threshold (0.3): a
        // score of 0.6 lies ln2/ln(1/0.3) of the way from threshold to 1 → 0.55 + 0.45 · 0.576.
        // With ratio scoring both are perfect matches.
        var ratio = KeywordDecoder.Options(); ratio.scoring = .ratio
        let d3 = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: ratio)
        d3.accept(weak, rows: seq.count)
        XCTAssertEqual(d3.finish().first?.score ?? 0, 1.0, accuracy: 1e-6)
    }

    func testEvidenceStrengthFromThreshold() {
        XCTAssertEqual(KeywordHit.confidence(score: 0.08, threshold: 0.08), 0.55, accuracy: 1e-12)
        XCTAssertEqual(KeywordHit.confidence(score: 1, threshold: 0.08), 1, accuracy: 1e-12)
        XCTAssertEqual(KeywordHit.confidence(score: 0.04, threshold: 0.08), 0.55 * (1 - log(2) / log(12.5)), accuracy: 1e-12)
        // Same score, stricter keyword: weaker evidence; monotonic in the score; bounded.
        XCTAssertLessThan(KeywordHit.confidence(score: 0.3, threshold: 0.25), KeywordHit.confidence(score: 0.3, threshold: 0.05))
        var last = -1.0
        for s in stride(from: 0.001, through: 1.0, by: 0.01) {
            let c = KeywordHit.confidence(score: s, threshold: 0.1)
            XCTAssertGreaterThanOrEqual(c, last); XCTAssertGreaterThanOrEqual(c, 0); XCTAssertLessThanOrEqual(c, 1)
            last = c
        }
        // A text hit has no confidence: its match score is its strength.
        XCTAssertEqual(KeywordHit(keyword: "暖气", score: 0.9).evidenceStrength, 0.9)
        XCTAssertEqual(KeywordHit(keyword: "暖气", score: 0.2, confidence: 0.7).evidenceStrength, 0.7)
    }

    func testToneMasksOfCompiledKeywords() throws {
        let lex = LexiconTests.lexicon
        let fight = try KeywordList.compile("打架", lexicon: lex)     // da3 jia4
        XCTAssertEqual(fight.pronunciations[0], ["d", "a", "j", "ia"])
        XCTAssertEqual(fight.toneMasks[0], [0, 1 << 3, 0, 1 << 4])
        // Third tone before a third tone may be heard as a second (sandhi).
        let pipe = try KeywordList.compile("水管", lexicon: lex)      // shui3 guan3
        XCTAssertEqual(pipe.toneMasks[0], [0, (1 << 3) | (1 << 2), 0, 1 << 3])
        // 不 changes tone with its neighbour: unconstrained.
        let notGive = try KeywordList.compile("不给", lexicon: lex)
        XCTAssertEqual(notGive.pronunciations[0], ["b", "u", "g", "ei"])
        XCTAssertEqual(notGive.toneMasks[0][1], 0)
    }

    /// Posteriors with a tone head: phones as `posteriors`, then 6 tone classes where `tone[t]`
    /// has probability 0.9 and the other five share 0.1.
    func tonedPosteriors(_ best: [String], _ tone: [Int]) -> [Float] {
        let u = PhoneSet.units.count
        var out: [Float] = []
        for (t, b) in best.enumerated() {
            let i = PhoneSet.index[b]!
            for j in 0..<u { out.append(logf(j == i ? 0.9 : 0.1 / Float(u - 1))) }
            for c in 0..<6 { out.append(logf(c == tone[t] ? 0.9 : 0.02)) }
        }
        return out
    }

    func testToneHeadSeparatesToneOnlyHomophones() throws {
        // 大家 da4 jia1 said; 打架 da3 jia4 has the same phones. Posterior scoring with the tone
        // term: 大家 = 0.9^1.5 (initials 0.9; finals 0.9 · 0.9), 打架 = 0.9 · 0.02^0.5.
        let lex = LexiconTests.lexicon
        let kws = try ["大家", "打架"].map { try KeywordList.compile($0, lexicon: lex) }
        let seq = ["sil", "sil", "d", "d", "a", "a", "a", "a", "j", "j", "ia", "ia", "ia", "ia", "sil", "sil"]
        let tones = [0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 1, 1, 1, 1, 0, 0]
        var o = KeywordDecoder.Options(); o.scoring = .posterior; o.threshold = 0.1
        let d = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: o,
                               columns: PhoneSet.units.count + 6, toneOffset: PhoneSet.units.count)
        d.accept(tonedPosteriors(seq, tones), rows: seq.count)
        let hits = Dictionary(uniqueKeysWithValues: d.finish().map { ($0.keyword, $0.score) })
        XCTAssertEqual(hits["大家"] ?? 0, pow(0.9, 1.5), accuracy: 1e-4)
        XCTAssertEqual(hits["打架"] ?? 0, 0.9 * sqrt(0.02), accuracy: 1e-4)
        // A phones-only model cannot tell them apart.
        let flat = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: o)
        flat.accept(posteriors(seq), rows: seq.count)
        let f = Dictionary(uniqueKeysWithValues: flat.finish().map { ($0.keyword, $0.score) })
        XCTAssertEqual(f["大家"] ?? 0, f["打架"] ?? 1, accuracy: 1e-6)
    }

    func testBeamDropsPathsThroughAnImpossiblePhone() throws {
        // 暖气 with its `q` frames replaced by a confident `a`: q's posterior there is 1.7e-7. The
        // geometric mean over the four states still clears a threshold of 0.001 (≈ 0.0017), but
        // the beam (10⁻³) refuses a path that leaves a phone state with such a mean.
        let lex = LexiconTests.lexicon
        let kws = try ["暖气"].map { try KeywordList.compile($0, lexicon: lex) }
        let seq = ["sil", "n", "n", "uan", "uan", "uan", "uan", "a", "a", "i", "i", "i", "i", "sil"]
        let u = PhoneSet.units.count
        var p: [Float] = []
        for b in seq {
            let i = PhoneSet.index[b]!
            let top: Float = b == "a" ? 0.99999 : 0.9
            for j in 0..<u { p.append(logf(j == i ? top : (1 - top) / Float(u - 1))) }
        }
        var o = KeywordDecoder.Options(); o.threshold = 0.001
        let beamed = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: o)
        beamed.accept(p, rows: seq.count)
        XCTAssertTrue(beamed.finish().isEmpty)
        o.stateFloor = -.infinity
        let open = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: o)
        open.accept(p, rows: seq.count)
        let got = open.finish()
        XCTAssertEqual(got.count, 1, "\(got)")
        XCTAssertLessThan(got.first?.score ?? 1, 0.01)
    }

    func testMinimumDurations() throws {
        // Each phone must last its minimum (initials 2, finals 4 frames of 20 ms): a keyword
        // squeezed into one frame per phone is not a keyword.
        let lex = LexiconTests.lexicon
        let kws = try ["暖气"].map { try KeywordList.compile($0, lexicon: lex) }
        let seq = ["sil", "n", "uan", "q", "i", "sil"]
        let d = KeywordDecoder(keywords: kws, frameSeconds: 0.02)
        d.accept(posteriors(seq), rows: seq.count)
        XCTAssertTrue(d.finish().isEmpty)
    }

    func testOutOfOrderPhonesAndThresholds() throws {
        let lex = LexiconTests.lexicon
        let kws = try ["暖气"].map { try KeywordList.compile($0, lexicon: lex) }
        // i q uan n: the right phones in the wrong order never complete the keyword.
        let seq = ["sil", "i", "i", "i", "i", "q", "q", "uan", "uan", "uan", "uan", "n", "n", "sil"]
        let d = KeywordDecoder(keywords: kws, frameSeconds: 0.02)
        d.accept(posteriors(seq), rows: seq.count)
        XCTAssertTrue(d.finish().isEmpty)
        // One phone frame wrong in the middle lowers the score below a strict threshold only.
        let seq2 = ["sil", "n", "n", "uan", "uan", "sil", "uan", "uan", "q", "q", "i", "i", "i", "i", "sil"]
        var strict = KeywordDecoder.Options(); strict.threshold = 0.99
        let d2 = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: strict)
        d2.accept(posteriors(seq2), rows: seq2.count)
        XCTAssertTrue(d2.finish().isEmpty)
        var loose = KeywordDecoder.Options(); loose.threshold = 0.3
        let d3 = KeywordDecoder(keywords: kws, frameSeconds: 0.02, options: loose)
        d3.accept(posteriors(seq2), rows: seq2.count)
        let h = d3.finish()
        XCTAssertEqual(h.count, 1)
        XCTAssertLessThan(h[0].score, 0.99)
    }

    func testContainedKeywordIsResolved() {
        let a = KeywordHit(keyword: "暖气不热", start: 1.0, end: 2.0, score: 0.8)
        let b = KeywordHit(keyword: "暖气", start: 1.0, end: 1.5, score: 0.9)
        let c = KeywordHit(keyword: "暖气", start: 3.0, end: 3.5, score: 0.9)
        XCTAssertEqual(KeywordDecoder.resolve([b, a, c]).map(\.keyword), ["暖气不热", "暖气"])
    }
}

final class ModelFileTests: XCTestCase {
    func tmp() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("m-\(UUID().uuidString).ctkws") }

    func testRoundTripAndFormatErrors() throws {
        let m = AcousticModel(feature: AcousticFeatureConfig(), hidden: [16], seed: 3)
        let url = tmp()
        defer { try? FileManager.default.removeItem(at: url) }
        try m.write(to: url)
        let back = try AcousticModel(contentsOf: url)
        XCTAssertEqual(back.mlp, m.mlp)
        XCTAssertEqual(back.header.units, PhoneSet.units)
        // Same input, same posteriors.
        let x = (0..<(2 * m.feature.inputDim)).map { Float($0 % 7) / 7 }
        XCTAssertEqual(back.mlp.logPosteriors(x, rows: 2), m.mlp.logPosteriors(x, rows: 2))

        var d = try Data(contentsOf: url)
        d[0] = UInt8(ascii: "X")
        try d.write(to: url)
        XCTAssertThrowsError(try AcousticModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("bad magic")) }

        d = m.encoded(); d[8] = 9
        try d.write(to: url)
        XCTAssertThrowsError(try AcousticModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("version 9")) }

        d = m.encoded(); d.removeLast(10)
        try d.write(to: url)
        XCTAssertThrowsError(try AcousticModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("truncated")) }

        // Phones + tones: each head is its own distribution.
        XCTAssertEqual(m.outputColumns, PhoneSet.units.count + AcousticModel.toneClasses.count)
        let lp = m.mlp.logPosteriors(x, rows: 1)
        XCTAssertEqual(lp[0..<PhoneSet.units.count].reduce(0) { $0 + exp(Double($1)) }, 1, accuracy: 1e-4)
        XCTAssertEqual(lp[PhoneSet.units.count...].reduce(0) { $0 + exp(Double($1)) }, 1, accuracy: 1e-4)
        XCTAssertEqual(m.encoded()[8], 2)

        // A phones-only model is written as format version 1 and still loads.
        let v1 = AcousticModel(feature: AcousticFeatureConfig(), hidden: [16], seed: 3, tones: false)
        XCTAssertEqual(v1.encoded()[8], 1)
        try v1.write(to: url)
        let v1back = try AcousticModel(contentsOf: url)
        XCTAssertNil(v1back.toneOffset)
        XCTAssertEqual(v1back.outputColumns, PhoneSet.units.count)
        // A version-1 file claiming a tone head is refused.
        let h = try JSONEncoder().encode(m.header)
        XCTAssertTrue(String(decoding: h, as: UTF8.self).contains("\"tones\""))
        d = m.encoded(); d[8] = 1
        try d.write(to: url)
        XCTAssertThrowsError(try AcousticModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("tone")) }

        try m.write(to: url)
        var other = AcousticFeatureConfig(); other.sampleRate = 16000
        XCTAssertThrowsError(try AcousticModel(contentsOf: url, expecting: other)) { XCTAssertTrue("\($0)".contains("16000")) }
    }

    func testPitchModelRoundTripAndFrontEnd() throws {
        var f = AcousticFeatureConfig(); f.pitch = true
        XCTAssertEqual(f.frameDim, f.numBins + PitchTracker.dims)
        XCTAssertEqual(f.inputDim, f.frameDim * f.context.count)
        let m = AcousticModel(feature: f, hidden: [16], seed: 3)
        XCTAssertEqual(m.mean.count, f.frameDim)
        let url = tmp()
        defer { try? FileManager.default.removeItem(at: url) }
        try m.write(to: url)
        let back = try AcousticModel(contentsOf: url)
        XCTAssertEqual(back.feature.pitch, true)
        XCTAssertEqual(back.mlp, m.mlp)
        // A model without the key (older files) has no pitch features.
        let plain = try JSONDecoder().decode(AcousticFeatureConfig.self, from: JSONEncoder().encode(AcousticFeatureConfig()))
        XCTAssertNil(plain.pitch)
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(AcousticFeatureConfig()), as: UTF8.self).contains("pitch"))
        // Pitch features are defined at 8 kHz only.
        var bad = m; bad.header.feature.sampleRate = 16000
        try bad.write(to: url)
        XCTAssertThrowsError(try AcousticModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("8000 Hz")) }
        // The streaming front end and the whole-signal front end agree, pitch included.
        let x: [Float] = (0..<12000).map { (i: Int) -> Float in
            let t = Double(i)
            return Float(0.3 * sin(t * 0.07) + 0.1 * sin(t * 0.31))
        }
        let whole = ModelInputStream.rawFrames(x, config: f)
        XCTAssertEqual(whole.first?.count, f.frameDim)
        let s = ModelInputStream(config: f, mean: [Float](repeating: 0, count: f.frameDim), std: [Float](repeating: 1, count: f.frameDim))
        var rows = 0
        let dim = f.frameDim, centre = f.context.firstIndex(of: 0)!
        func check(_ out: (inputs: [Float], frameIndices: [Int])) {
            for (r, t) in out.frameIndices.enumerated() {
                let row = Array(out.inputs[(r * f.inputDim + centre * dim)..<(r * f.inputDim + (centre + 1) * dim)])
                XCTAssertEqual(row, whole[t], "frame \(t)")
            }
            rows += out.frameIndices.count
        }
        for chunk in stride(from: 0, to: x.count, by: 1234) { check(s.accept(Array(x[chunk..<min(x.count, chunk + 1234)]))) }
        check(s.finish())
        XCTAssertEqual(rows, (whole.count + f.subsample - 1) / f.subsample)
    }

    func testTrainingIsDeterministicAndLearns() {
        // Two separable "phones" in synthetic frames: the net must learn them, identically twice.
        var cfg = AcousticFeatureConfig(); cfg.numBins = 4; cfg.context = [0]
        func data() -> [LabelledUtterance] {
            var rng = SplitMix64(seed: 9)
            return (0..<4).map { u in
                let labels = (0..<200).map { Int32(($0 / 20) % 2 == 0 ? 1 : 5) }
                let frames = labels.flatMap { l in (0..<4).map { c in Float(l == 1 ? c : 3 - c) + rng.nextFloat() * 0.5 } }
                return LabelledUtterance(id: "u\(u)", frames: frames, labels: labels)
            }
        }
        var o = AcousticTrainer.Options(); o.epochs = 3; o.hidden = [8]; o.batchSize = 32; o.learningRate = 0.01
        let a = AcousticTrainer(config: cfg, options: o), b = AcousticTrainer(config: cfg, options: o)
        a.fitNormalisation(data()); b.fitNormalisation(data())
        a.train(data()); b.train(data())
        XCTAssertEqual(a.model.mlp, b.model.mlp)
        XCTAssertGreaterThan(a.evaluate(data()).accuracy, 0.95)
    }

    func testAugmentedTrainingIsDeterministicAndStillLearns() {
        var cfg = AcousticFeatureConfig(); cfg.numBins = 8; cfg.context = [-1, 0, 1]
        var rng = SplitMix64(seed: 4)
        let data = (0..<4).map { u in
            let labels = (0..<200).map { Int32(($0 / 20) % 2 == 0 ? 1 : 5) }
            let frames = labels.flatMap { l in (0..<8).map { c in Float(l == 1 ? c : 7 - c) + rng.nextFloat() * 0.5 } }
            return LabelledUtterance(id: "u\(u)", frames: frames, labels: labels)
        }
        var o = AcousticTrainer.Options(); o.epochs = 4; o.hidden = [16, 16]; o.batchSize = 32; o.learningRate = 0.01
        o.augmentation = SpectralAugmentation(warp: 0.1, maxMaskBins: 2); o.dropout = 0.1
        let a = AcousticTrainer(config: cfg, options: o), b = AcousticTrainer(config: cfg, options: o)
        a.fitNormalisation(data); b.fitNormalisation(data)
        a.train(data); b.train(data)
        XCTAssertEqual(a.model.mlp, b.model.mlp, "same seed, same augmentation draws, same model")
        XCTAssertGreaterThan(a.evaluate(data).accuracy, 0.95)
        // Each of them changes the result on its own: same seed, another model.
        func trained(_ aug: SpectralAugmentation, dropout: Float) -> MLP {
            var p = o; p.augmentation = aug; p.dropout = dropout
            let t = AcousticTrainer(config: cfg, options: p)
            t.fitNormalisation(data); t.train(data)
            return t.model.mlp
        }
        let plain = trained(SpectralAugmentation(), dropout: 0)
        XCTAssertNotEqual(a.model.mlp, plain)
        XCTAssertNotEqual(trained(SpectralAugmentation(warp: 0.1), dropout: 0), plain, "warp alone")
        XCTAssertNotEqual(trained(SpectralAugmentation(maxMaskBins: 2), dropout: 0), plain, "mask alone")
        XCTAssertNotEqual(trained(SpectralAugmentation(), dropout: 0.1), plain, "dropout alone")
    }

    func testWarpPositionsKeepTheBandAndMoveTheBins() {
        let cfg = AcousticFeatureConfig()
        let n = cfg.numBins
        let same = SpectralAugmentation.warpPositions(alpha: 1, config: cfg)
        for c in 0..<n { XCTAssertEqual(same[c], Double(c), accuracy: 1e-9) }
        for alpha in [0.9, 1.1] {
            let p = SpectralAugmentation.warpPositions(alpha: alpha, config: cfg)
            XCTAssertEqual(p.count, n)
            XCTAssertEqual(p, p.sorted(), "positions increase with the bin")
            XCTAssertTrue(p.allSatisfy { $0 >= 0 && $0 <= Double(n - 1) })
            // A factor above 1 reads each mid-band bin from a higher frequency (formants move down), below 1 from a lower one.
            XCTAssertEqual(p[n / 2] > Double(n / 2), alpha > 1)
            // Bin 20's centre (1,190 Hz) read at 1.1 × 1,190 Hz lies 1.41 bins higher, at 0.9 × 1.50 bins lower.
            XCTAssertEqual(p[n / 2], alpha > 1 ? 21.41 : 18.50, accuracy: 0.01)
            XCTAssertEqual(p[n - 1], Double(n - 1), accuracy: 0.5, "the top of the band stays near the top")
        }
    }

    func testAugmentationMasksOneContiguousBandAndReadsWarpedBins() {
        var cfg = AcousticFeatureConfig(); cfg.numBins = 10; cfg.context = [0]
        let sampler = SpectralAugmentation.Sampler(SpectralAugmentation(warp: 0.1, maxMaskBins: 3), config: cfg)
        var rng = SplitMix64(seed: 11)
        var s = SpectralAugmentation.Sources(bins: 10)
        var widths = Set<Int>()
        for _ in 0..<200 {
            sampler.draw(using: &rng, into: &s)
            let masked = s.masked.indices.filter { s.masked[$0] }
            XCTAssertLessThanOrEqual(masked.count, 3)
            if let f = masked.first { XCTAssertEqual(masked, Array(f..<(f + masked.count)), "one contiguous band") }
            widths.insert(masked.count)
            XCTAssertTrue(s.index.allSatisfy { $0 >= 0 && $0 <= 8 })
            XCTAssertTrue(s.weight.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        XCTAssertEqual(widths, [0, 1, 2, 3])
        // A mask wider than the bins masks them all, no more; one bin is never warped.
        var one = AcousticFeatureConfig(); one.numBins = 1; one.context = [0]
        var s1 = SpectralAugmentation.Sources(bins: 1)
        let wide = SpectralAugmentation.Sampler(SpectralAugmentation(warp: 0.2, maxMaskBins: 5), config: one)
        for _ in 0..<20 { wide.draw(using: &rng, into: &s1); XCTAssertEqual(s1.index, [0]); XCTAssertEqual(s1.weight, [0]) }
        // Stacking reads the warped, masked bins: a masked bin is the mean (0 after normalisation).
        var o = AcousticTrainer.Options(); o.hidden = [4]
        let t = AcousticTrainer(config: cfg, options: o)
        let u = LabelledUtterance(id: "u", frames: (0..<20).map(Float.init), labels: [0, 0])
        t.fitNormalisation([u])
        var src = SpectralAugmentation.Sources(bins: 10)
        src.index[2] = 3; src.weight[2] = 0.5; src.masked[7] = true
        var out = [Float](repeating: .nan, count: 10)
        out.withUnsafeMutableBufferPointer { t.stack(u, 0, into: $0.baseAddress!, reading: src) }
        XCTAssertEqual(out[7], 0, accuracy: 1e-6)
        // Bin 2 of frame 0 reads halfway between bins 3 and 4 (values 3 and 4): 3.5, normalised with bin 2's mean and std.
        XCTAssertEqual(out[2], (3.5 - t.model.mean[2]) / t.model.std[2], accuracy: 1e-5)
        XCTAssertEqual(out[5], (5 - t.model.mean[5]) / t.model.std[5], accuracy: 1e-5)
    }
}

final class KWSScorerTests: XCTestCase {
    func testMatchingFalseAlarmsAndCurve() {
        let refs = [KWSScorer.Reference(text: "暖气不热", start: 1.0, end: 2.0),
                    KWSScorer.Reference(text: "漏水", start: 5.0, end: 5.5)]
        let hits = [
            KeywordHit(keyword: "暖气不热", start: 1.1, end: 2.1, score: 0.9),   // correct
            KeywordHit(keyword: "暖气", start: 1.0, end: 1.5, score: 0.95),      // inside a longer reference: ignored
            KeywordHit(keyword: "漏水", start: 6.2, end: 6.6, score: 0.8),       // centre 6.4 > 5.5 + 0.5: false alarm
            KeywordHit(keyword: "停电", start: 8.0, end: 8.5, score: 0.4),       // false alarm
        ]
        let o = KWSScorer.score(hits: hits, references: refs)
        XCTAssertEqual(o.referenceScores.map(\.1), [0.9, 0])
        XCTAssertEqual(o.falseAlarmScores.map(\.0), ["漏水", "停电"])
        // Two hours of audio: false alarms per hour are halved counts.
        let c = KWSScorer.curve([o], hours: 2, thresholds: [0.3, 0.5, 0.85, 0.95])
        XCTAssertEqual(c.map(\.recall), [0.5, 0.5, 0.5, 0])
        XCTAssertEqual(c.map(\.falseAlarmsPerHour), [1.0, 0.5, 0, 0])
        XCTAssertEqual(c.map(\.falseAlarms), [2, 1, 0, 0])
    }
}
