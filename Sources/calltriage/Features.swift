import ArgumentParser
import AudioIO
import Foundation
import SignalKit

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write Kaldi-compatible log-mel fbank or MFCC features of one channel as a NumPy .npy file.",
        discussion: """
        Defaults are those of Kaldi's compute-fbank-feats / compute-mfcc-feats except dither, which is 0: \
        25 ms frames every 10 ms, povey window, pre-emphasis 0.97, DC removal, snip-edges, 23 mel bins \
        from 20 Hz to Nyquist, power spectrum, log. Samples are scaled to the 16-bit integer range as \
        Kaldi reads them. The matrix is frames × bins, float32, C order.
        Sample rate: the file's own when it is 8000 or 16000 Hz, otherwise resampled to 16000 (Kaldi's \
        default); --sample-rate forces one.
        """)

    @Argument(help: "Audio file.")
    var audio: String

    @Option(help: "Output .npy file.")
    var out: String

    @Option(help: "fbank or mfcc.")
    var kind: FeatureKind = .fbank

    @Option(help: "Number of mel bins (Kaldi default 23).")
    var numBins: Int = 23

    @Option(help: "Number of cepstra for mfcc (Kaldi default 13).")
    var numCeps: Int = 13

    @Option(help: "Resample to 8000 or 16000 Hz first.")
    var sampleRate: Int?

    @Option(help: "Channel index to analyse (default: the caller channel, 0).")
    var channel: Int = 0

    @Option(help: "Window: povey, hamming, hanning, rectangular, blackman.")
    var windowType: WindowType = .povey

    @Option(help: "Low cut-off of the mel bins (Hz).")
    var lowFreq: Double = 20

    @Option(help: "High cut-off of the mel bins (Hz); ≤ 0 is relative to Nyquist.")
    var highFreq: Double = 0

    @Flag(help: "Prepend log energy (fbank; always on for mfcc as in Kaldi).")
    var useEnergy = false

    @Flag(help: "Apply per-utterance mean normalisation (CMN).")
    var cmvn = false

    @Option(help: "Append delta features of this order (0 = none).")
    var deltaOrder: Int = 0

    func validate() throws {
        if let r = sampleRate, r != 8000 && r != 16000 { throw ValidationError("--sample-rate must be 8000 or 16000") }
        if numBins < 1 || numBins > 256 { throw ValidationError("--num-bins must be 1…256") }
        if kind == .mfcc && (numCeps < 1 || numCeps > numBins) { throw ValidationError("--num-ceps must be 1…--num-bins") }
        if deltaOrder < 0 || deltaOrder > 3 { throw ValidationError("--delta-order must be 0…3") }
    }

    func run() throws {
        let m: FeatureMatrix
        do {
            m = try FeatureRunner.compute(path: audio, kind: kind, numBins: numBins, numCeps: numCeps,
                                          sampleRate: sampleRate, channel: channel, window: windowType,
                                          lowFreq: lowFreq, highFreq: highFreq, useEnergy: useEnergy)
        } catch let e as AudioError {
            CLI.writeStderr("error: \(e)\n")
            throw ExitCode(1)
        } catch let e as ValidationError {
            CLI.writeStderr("error: \(audio): \(e.message)\n")
            throw ExitCode(1)
        }
        var out = m
        if cmvn { out = CMVN.apply(out) }
        if deltaOrder > 0 { out = Deltas.add(out, order: deltaOrder) }
        do {
            try NPY.encode(out).write(to: URL(fileURLWithPath: self.out))
        } catch {
            CLI.writeStderr("error: cannot write \(self.out): \(error.localizedDescription)\n")
            throw ExitCode(1)
        }
        CLI.writeStderr("\(audio): \(out.rows) frames × \(out.cols) → \(self.out)\n")
    }
}

enum FeatureRunner {
    /// Decodes one channel, resamples if asked, and computes features on the 16-bit scale.
    static func compute(path: String, kind: FeatureKind, numBins: Int, numCeps: Int = 13, sampleRate: Int?,
                        channel: Int = 0, window: WindowType = .povey, lowFreq: Double = 20,
                        highFreq: Double = 0, useEnergy: Bool = false) throws -> FeatureMatrix {
        let decoder = try AudioDecoder(path: path)
        let info = decoder.info
        guard channel >= 0 && channel < info.channels else {
            throw AudioError(.unsupportedLayout, path: path, detail: "channel \(channel) does not exist (file has \(info.channels))")
        }
        let rate = sampleRate ?? ((info.sampleRate == 8000 || info.sampleRate == 16000) ? info.sampleRate : 16000)
        let resampler = Resampler(inputRate: info.sampleRate, outputRate: rate)
        var check = MelOptions(numBins: numBins)
        check.lowFreq = lowFreq; check.highFreq = highFreq
        var frame = FrameOptions(sampleRate: Double(rate)); frame.windowType = window
        if let problem = MelBanks.problem(check, frame: frame) { throw ValidationError(problem) }
        let extractor: FeatureExtractor
        switch kind {
        case .fbank:
            var o = FbankOptions(sampleRate: Double(rate), numBins: numBins)
            o.frame.windowType = window
            o.mel.lowFreq = lowFreq; o.mel.highFreq = highFreq
            o.useEnergy = useEnergy
            extractor = FeatureExtractor(fbank: o)
        case .mfcc:
            var o = MfccOptions(sampleRate: Double(rate), numBins: numBins)
            o.numCeps = numCeps
            o.frame.windowType = window
            o.mel.lowFreq = lowFreq; o.mel.highFreq = highFreq
            extractor = FeatureExtractor(mfcc: o)
        }
        var m = FeatureMatrix(cols: extractor.dim)
        let blockFrames = max(4096, info.sampleRate * 2)
        while let block = try decoder.read(maxFrames: blockFrames) {
            var x = resampler.process(block[channel])
            for i in 0..<x.count { x[i] *= 32768 }
            m.append(extractor.accept(x))
        }
        var tail = resampler.flush()
        for i in 0..<tail.count { tail[i] *= 32768 }
        m.append(extractor.accept(tail))
        m.append(extractor.finish())
        return m
    }
}

extension FeatureKind: ExpressibleByArgument {}
extension WindowType: ExpressibleByArgument {}
