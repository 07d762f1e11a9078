import AudioIO
import Foundation
import SignalKit
import XCTest

/// Agreement with kaldi-native-fbank (Kaldi conventions) on golden files made by
/// tools/golden/make_golden.py: every bin of every frame within 1e-3.
final class GoldenFeatureTests: XCTestCase {
    struct Case { let id: String; let input: String; let kind: String; let options: [String: Any]; let output: String; let shape: [Int] }

    func cases() throws -> (URL, [Case]) {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Golden", withExtension: nil))
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let list = (index["cases"] as! [[String: Any]]).map {
            Case(id: $0["id"] as! String, input: $0["input"] as! String, kind: $0["kind"] as! String,
                 options: $0["options"] as! [String: Any], output: $0["output"] as! String, shape: $0["shape"] as! [Int])
        }
        return (dir, list)
    }

    func extractor(for c: Case) -> FeatureExtractor {
        let f = c.options["frame_opts"] as! [String: Any]
        let m = c.options["mel_opts"] as! [String: Any]
        var frame = FrameOptions(sampleRate: f["samp_freq"] as! Double)
        frame.frameShiftMs = f["frame_shift_ms"] as! Double
        frame.frameLengthMs = f["frame_length_ms"] as! Double
        frame.preemphCoeff = Float(f["preemph_coeff"] as! Double)
        frame.removeDCOffset = f["remove_dc_offset"] as! Bool
        frame.windowType = WindowType(rawValue: f["window_type"] as! String)!
        frame.roundToPowerOfTwo = f["round_to_power_of_two"] as! Bool
        var mel = MelOptions(numBins: m["num_bins"] as! Int)
        mel.lowFreq = m["low_freq"] as! Double
        mel.highFreq = m["high_freq"] as! Double
        if c.kind == "mfcc" {
            var o = MfccOptions(sampleRate: frame.sampleRate)
            o.frame = frame; o.mel = mel
            o.numCeps = c.options["num_ceps"] as! Int
            o.useEnergy = c.options["use_energy"] as! Bool
            o.rawEnergy = c.options["raw_energy"] as! Bool
            o.cepstralLifter = Float(c.options["cepstral_lifter"] as! Double)
            return FeatureExtractor(mfcc: o)
        }
        var o = FbankOptions(sampleRate: frame.sampleRate)
        o.frame = frame; o.mel = mel
        o.useEnergy = c.options["use_energy"] as! Bool
        return FeatureExtractor(fbank: o)
    }

    func testEveryGoldenCaseAgreesWithin1e3() throws {
        let (dir, list) = try cases()
        XCTAssertGreaterThanOrEqual(list.count, 9)
        var kinds = Set<String>(), rates = Set<Double>()
        for c in list {
            let d = try AudioDecoder(path: dir.appendingPathComponent(c.input).path)
            var x: [Float] = []
            while let b = try d.read(maxFrames: 1000) { x += b[0] }
            // Kaldi reads WAVs on the 16-bit integer scale.
            x = x.map { $0 * 32768 }
            // Feed in uneven blocks to exercise streaming.
            let e = extractor(for: c)
            var got = FeatureMatrix(cols: e.dim)
            var i = 0, step = 37
            while i < x.count { let j = min(x.count, i + step); got.append(e.accept(Array(x[i..<j]))); i = j; step = step * 7 % 1013 + 11 }
            got.append(e.finish())
            let want = try NPY.decode(Data(contentsOf: dir.appendingPathComponent(c.output)))
            XCTAssertEqual([got.rows, got.cols], c.shape, c.id)
            XCTAssertEqual([want.rows, want.cols], c.shape, c.id)
            var worst: Float = 0
            for k in 0..<min(got.data.count, want.data.count) { worst = max(worst, abs(got.data[k] - want.data[k])) }
            XCTAssertLessThanOrEqual(worst, 1e-3, "\(c.id): max |Δ| = \(worst)")
            kinds.insert(c.kind)
            rates.insert((c.options["frame_opts"] as! [String: Any])["samp_freq"] as! Double)
        }
        XCTAssertEqual(kinds, ["fbank", "mfcc"])
        XCTAssertEqual(rates, [8000, 16000])
    }

    func testLogFloorOnDigitalZeros() throws {
        let (dir, list) = try cases()
        let c = try XCTUnwrap(list.first { $0.id == "fbank23_zeros8k" })
        let d = try AudioDecoder(path: dir.appendingPathComponent(c.input).path)
        var x: [Float] = []
        while let b = try d.read(maxFrames: 4096) { x += b[0] }
        let m = extractor(for: c).compute(x.map { $0 * 32768 })
        // Frames wholly inside the 0.45–0.75 s gap sit at log(FLT_EPSILON) in every bin.
        for r in 46...70 { for col in 0..<m.cols { XCTAssertEqual(m[r, col], logf(Float.ulpOfOne), accuracy: 1e-5) } }
    }

    func testKaldiFrameCountAndWindows() {
        var f = FrameOptions(sampleRate: 8000)
        XCTAssertEqual(f.windowSize, 200); XCTAssertEqual(f.windowShift, 80); XCTAssertEqual(f.paddedWindowSize, 256)
        XCTAssertEqual(f.numFrames(199), 0); XCTAssertEqual(f.numFrames(200), 1); XCTAssertEqual(f.numFrames(16000), 198)
        f.snipEdges = false
        XCTAssertEqual(f.numFrames(16000), 200)
        let povey = WindowType.povey.coefficients(200)
        XCTAssertEqual(povey[0], 0); XCTAssertEqual(povey[199], 0, accuracy: 1e-7)
        XCTAssertEqual(WindowType.hamming.coefficients(200)[0], 0.08, accuracy: 1e-6)
        XCTAssertEqual(WindowType.hann.coefficients(201)[100], 1, accuracy: 1e-6)
    }
}
