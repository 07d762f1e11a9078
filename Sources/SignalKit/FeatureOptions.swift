/// Window shapes, as Kaldi names them.
public enum WindowType: String, Sendable, Codable, CaseIterable {
    case povey, hamming, hanning, hann, rectangular, blackman

    /// Window of length `n` (Kaldi's definitions: `a = 2π/(n−1)`).
    public func coefficients(_ n: Int) -> [Float] {
        let a = 2 * Double.pi / Double(max(n - 1, 1))
        return (0..<n).map { i in
            let x = Double(i)
            switch self {
            case .povey: return Float(pow(0.5 - 0.5 * cos(a * x), 0.85))
            case .hamming: return Float(0.54 - 0.46 * cos(a * x))
            case .hanning, .hann: return Float(0.5 - 0.5 * cos(a * x))
            case .rectangular: return 1
            case .blackman: return Float(0.42 - 0.5 * cos(a * x) + 0.08 * cos(2 * a * x))
            }
        }
    }
}

/// Framing options: Kaldi's `FrameExtractionOptions` (defaults of `compute-fbank-feats`,
/// except `dither`, which is 0 here so results are reproducible).
public struct FrameOptions: Sendable, Codable, Equatable {
    public var sampleRate: Double = 16000
    public var frameShiftMs: Double = 10
    public var frameLengthMs: Double = 25
    public var dither: Float = 0
    public var preemphCoeff: Float = 0.97
    public var removeDCOffset = true
    public var windowType: WindowType = .povey
    public var roundToPowerOfTwo = true
    public var snipEdges = true

    public init(sampleRate: Double = 16000) { self.sampleRate = sampleRate }

    public var windowShift: Int { Int(sampleRate * 0.001 * frameShiftMs) }
    public var windowSize: Int { Int(sampleRate * 0.001 * frameLengthMs) }
    public var paddedWindowSize: Int {
        roundToPowerOfTwo ? FrameOptions.nextPowerOfTwo(windowSize) : windowSize
    }

    /// Number of frames Kaldi produces for `n` samples.
    public func numFrames(_ n: Int) -> Int {
        let shift = windowShift, size = windowSize
        if snipEdges {
            return n < size ? 0 : 1 + (n - size) / shift
        }
        return (n + shift / 2) / shift
    }

    static func nextPowerOfTwo(_ n: Int) -> Int {
        var p = 1
        while p < n { p <<= 1 }
        return p
    }
}

/// Mel filterbank options: Kaldi's `MelBanksOptions`.
public struct MelOptions: Sendable, Codable, Equatable {
    public var numBins = 23
    public var lowFreq: Double = 20
    /// ≤ 0 means Nyquist + highFreq.
    public var highFreq: Double = 0

    public init(numBins: Int = 23) { self.numBins = numBins }
}

/// Log-mel filterbank options: Kaldi's `FbankOptions`.
public struct FbankOptions: Sendable, Codable, Equatable {
    public var frame: FrameOptions
    public var mel = MelOptions()
    public var useEnergy = false
    public var rawEnergy = true
    public var energyFloor: Float = 0
    public var useLogFbank = true
    public var usePower = true

    public init(sampleRate: Double = 16000, numBins: Int = 23) {
        frame = FrameOptions(sampleRate: sampleRate)
        mel = MelOptions(numBins: numBins)
    }
}

/// MFCC options: Kaldi's `MfccOptions` (defaults of `compute-mfcc-feats`, dither 0).
public struct MfccOptions: Sendable, Codable, Equatable {
    public var frame: FrameOptions
    public var mel = MelOptions()
    public var numCeps = 13
    public var useEnergy = true
    public var energyFloor: Float = 0
    public var rawEnergy = true
    public var cepstralLifter: Float = 22

    public init(sampleRate: Double = 16000, numBins: Int = 23) {
        frame = FrameOptions(sampleRate: sampleRate)
        mel = MelOptions(numBins: numBins)
    }
}

import Foundation
