import Foundation

/// Streaming sample-rate converter: polyphase windowed-sinc FIR with a Kaiser window.
///
/// Design (documented contract, checked by tests):
/// - pass band flat to 0.90 × the lower Nyquist frequency (3.6 kHz when converting to 8 kHz);
/// - stop band from 1.00 × the lower Nyquist (4 kHz) with at least `stopbandAttenuationDB`
///   (default 80 dB) attenuation, so nothing above 4 kHz aliases into the telephone band;
/// - linear phase, zero delay: output sample n is centred on input time n·inRate/outRate,
///   so timestamps are preserved;
/// - exact rational polyphase (L/M) when L ≤ 4096 phases, else 4096 phases with nearest-phase
///   rounding (timing error < 1/8192 input sample).
/// Memory is constant: the filter table plus one filter length of input history.
public final class Resampler {
    public let inputRate: Int
    public let outputRate: Int
    public let stopbandAttenuationDB: Double
    /// Half-width of the filter in input samples.
    public let halfWidth: Int
    private let up: Int64     // L
    private let down: Int64   // M
    private let phases: Int   // P
    private let exact: Bool
    private var table: [Float] // P × taps
    private let taps: Int
    private var history: [Float]
    private var historyStart: Int64   // input index of history[0]
    private var inputCount: Int64 = 0
    private var nextOutput: Int64 = 0
    private let passthrough: Bool

    public init(inputRate: Int, outputRate: Int, stopbandAttenuationDB: Double = 80) {
        precondition(inputRate > 0 && outputRate > 0)
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.stopbandAttenuationDB = stopbandAttenuationDB
        passthrough = inputRate == outputRate
        let g = Resampler.gcd(inputRate, outputRate)
        up = Int64(outputRate / g)
        down = Int64(inputRate / g)
        exact = up <= 4096
        phases = passthrough ? 1 : Int(min(up, 4096))

        let lowerNyquist = Double(min(inputRate, outputRate)) / 2
        let cutoffHz = 0.95 * lowerNyquist
        let transitionHz = 0.10 * lowerNyquist
        let c = cutoffHz / Double(inputRate)            // cycles per input sample
        let delta = transitionHz / Double(inputRate)
        let n = (stopbandAttenuationDB - 7.95) / (14.36 * delta)
        halfWidth = passthrough ? 0 : max(2, Int((n / 2).rounded(.up)))
        taps = passthrough ? 1 : 2 * halfWidth
        let beta: Double = stopbandAttenuationDB > 50
            ? 0.1102 * (stopbandAttenuationDB - 8.7)
            : 0.5842 * pow(stopbandAttenuationDB - 21, 0.4) + 0.07886 * (stopbandAttenuationDB - 21)

        table = [Float](repeating: 0, count: phases * taps)
        if !passthrough {
            let w = Double(halfWidth)
            let i0beta = Resampler.besselI0(beta)
            for p in 0..<phases {
                let frac = Double(p) / Double(phases)
                var row = [Double](repeating: 0, count: taps)
                var s = 0.0
                for j in 0..<taps {
                    let u = frac + w - 1 - Double(j)   // τ − k
                    let x = 2 * c * u
                    let sinc = abs(x) < 1e-12 ? 1.0 : sin(Double.pi * x) / (Double.pi * x)
                    let r = u / w
                    let win = abs(r) >= 1 ? 0 : Resampler.besselI0(beta * (1 - r * r).squareRoot()) / i0beta
                    row[j] = 2 * c * sinc * win
                    s += row[j]
                }
                // Normalise each phase to unit DC gain.
                for j in 0..<taps { table[p * taps + j] = Float(row[j] / s) }
            }
        }
        history = [Float](repeating: 0, count: halfWidth)
        historyStart = -Int64(halfWidth)
    }

    /// Converts the next block; returns the output samples now computable.
    public func process(_ input: [Float]) -> [Float] {
        if passthrough { inputCount += Int64(input.count); return input }
        history.append(contentsOf: input)
        inputCount += Int64(input.count)
        return drain()
    }

    /// Call once at the end: pads with zeros and returns the remaining outputs, so that the
    /// total output length is ceil(inputCount · outRate / inRate).
    public func flush() -> [Float] {
        if passthrough { return [] }
        history.append(contentsOf: [Float](repeating: 0, count: halfWidth + 1))
        return drain()
    }

    /// Produces outputs whose filter support lies inside the available input.
    private func drain() -> [Float] {
        let available = historyStart + Int64(history.count)   // first input index not yet present
        var out: [Float] = []
        let total = (inputCount * up + down - 1) / down
        out.reserveCapacity(Int(max(0, (available - historyStart) * up / down)) + 1)
        history.withUnsafeBufferPointer { h in
            table.withUnsafeBufferPointer { t in
                while nextOutput < total {
                    let pos = nextOutput * down
                    var i0 = pos / up
                    var phase: Int
                    if exact {
                        phase = Int(pos % up)
                    } else {
                        let rem = pos % up
                        phase = Int((rem * Int64(phases) + up / 2) / up)
                        if phase == phases { phase = 0; i0 += 1 }
                    }
                    let first = i0 - Int64(halfWidth) + 1
                    let last = i0 + Int64(halfWidth)
                    if last >= available { break }
                    let offset = Int(first - historyStart)
                    let y = VectorOps.dot(h.baseAddress! + offset, t.baseAddress! + phase * taps, taps)
                    out.append(y)
                    nextOutput += 1
                }
            }
        }
        // Drop history no longer needed.
        let nextPos = nextOutput * down
        let needFrom = nextPos / up - Int64(halfWidth)
        let drop = Int(needFrom - historyStart)
        if drop > 4096 && drop <= history.count {
            history.removeFirst(drop)
            historyStart += Int64(drop)
        }
        return out
    }

    /// Whole-signal convenience.
    public static func resample(_ x: [Float], from inputRate: Int, to outputRate: Int) -> [Float] {
        let r = Resampler(inputRate: inputRate, outputRate: outputRate)
        return r.process(x) + r.flush()
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    static func besselI0(_ x: Double) -> Double {
        var sum = 1.0, term = 1.0
        let q = x * x / 4
        for k in 1..<60 {
            term *= q / Double(k * k)
            sum += term
            if term < sum * 1e-17 { break }
        }
        return sum
    }
}
