import Foundation
import SignalKit
import XCTest

final class ResamplerTests: XCTestCase {
    func sine(_ f: Double, rate: Int, seconds: Double, amp: Float = 0.5) -> [Float] {
        (0..<Int(Double(rate) * seconds)).map { amp * Float(sin(2 * Double.pi * f * Double($0) / Double(rate))) }
    }

    func rms(_ x: ArraySlice<Float>) -> Double {
        (x.reduce(0.0) { $0 + Double($1 * $1) } / Double(max(x.count, 1))).squareRoot()
    }

    /// Pass band flat, stop band ≥ 70 dB down (design 80 dB) for every common call-platform rate.
    func testFrequencyResponseToTelephoneBand() {
        for inRate in [11025, 16000, 22050, 44100, 48000, 96000] {
            for (f, passes) in [(1000.0, true), (3000.0, true), (3500.0, true), (4300.0, false), (5000.0, false), (7000.0, false)] {
                if f >= Double(inRate) / 2 { continue }
                let y = Resampler.resample(sine(f, rate: inRate, seconds: 1), from: inRate, to: 8000)
                XCTAssertEqual(y.count, 8000, "length \(inRate)")
                let level = 20 * log10(rms(y[1000..<7000]) / (0.5 / 2.0.squareRoot()))
                if passes {
                    XCTAssertEqual(level, 0, accuracy: 0.1, "\(inRate) Hz → 8 kHz, \(f) Hz pass band: \(level) dB")
                } else {
                    XCTAssertLessThan(level, -70, "\(inRate) Hz → 8 kHz, \(f) Hz should be stopped: \(level) dB")
                }
            }
        }
    }

    func testUpsamplingPreservesToneAndTiming() {
        let x = sine(440, rate: 8000, seconds: 0.5)
        let y = Resampler.resample(x, from: 8000, to: 16000)
        XCTAssertEqual(y.count, 16000 / 2)
        // Zero delay: y[2n] ≈ x[n] in the middle.
        for n in stride(from: 1000, to: 3000, by: 97) { XCTAssertEqual(y[2 * n], x[n], accuracy: 2e-3) }
    }

    func testStreamingEqualsWhole() {
        let x = sine(1234, rate: 44100, seconds: 0.7) + sine(300, rate: 44100, seconds: 0.3)
        let whole = Resampler.resample(x, from: 44100, to: 8000)
        let r = Resampler(inputRate: 44100, outputRate: 8000)
        var parts: [Float] = []
        var i = 0
        for size in [1, 7, 100, 4410, 13, 9999, 20000] {
            let j = min(x.count, i + size)
            parts += r.process(Array(x[i..<j])); i = j
        }
        parts += r.process(Array(x[i...]))
        parts += r.flush()
        XCTAssertEqual(parts.count, whole.count)
        for k in 0..<whole.count { XCTAssertEqual(parts[k], whole[k], accuracy: 1e-6) }
    }

    func testIdentityIsPassthrough() {
        let x = sine(500, rate: 8000, seconds: 0.1)
        XCTAssertEqual(Resampler.resample(x, from: 8000, to: 8000), x)
    }
}
