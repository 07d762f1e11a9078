import AudioIO
import Foundation
import SignalKit

/// One utterance with frame labels (unit index per 10 ms frame), ready for training.
public struct LabelledUtterance: Sendable {
    public var id: String
    /// Normalised fbank frames (running CMN applied; global normalisation comes later) with pitch
    /// features if the configuration has them, frames × `frameDim`.
    public var frames: [Float]
    public var labels: [Int32]
    /// Tone class per frame (index into `AcousticModel.toneClasses`; −1 = unknown, no tone loss).
    public var tones: [Int8]
    public var count: Int { labels.count }

    public init(id: String, frames: [Float], labels: [Int32], tones: [Int8]? = nil) {
        self.id = id; self.frames = frames; self.labels = labels
        self.tones = tones ?? [Int8](repeating: -1, count: labels.count)
    }
}

/// Reads a training corpus: a labelled-set manifest whose entries have audio and syllable timings
/// (`alignment`: a JSON file with `syllables: [{pinyin, start, end, phones?}]`, as the TTS tools
/// write; or `<id>.json` beside the manifest, as tools/corpus/make_corpus.py writes), and turns it
/// into frame-labelled utterances.
public enum TrainingCorpus {
    public struct Timing: Decodable { var pinyin: String; var start: Double?; var end: Double?; var phones: [Phone]? }
    public struct Phone: Decodable { var p: String; var start: Double; var end: Double }
    struct Alignment: Decodable { var syllables: [Timing] }

    /// Frame labels from syllable timings: frames outside syllables are silence; a syllable's
    /// initial takes its first phone's span when phones are timed, else min(40 %, 100 ms).
    public static func labels(frames n: Int, syllables: [Timing], config: AcousticFeatureConfig) -> [Int32] {
        labelsAndTones(frames: n, syllables: syllables, config: config).phones
    }

    /// Phone labels as `labels`, and tone classes: a final's frames take its syllable's tone
    /// (1–5; 0 when the pinyin has no tone), silence and initials class 0 (none).
    public static func labelsAndTones(frames n: Int, syllables: [Timing], config: AcousticFeatureConfig) -> (phones: [Int32], tones: [Int8]) {
        var out = [Int32](repeating: Int32(PhoneSet.index[PhoneSet.silence]!), count: n)
        var tones = [Int8](repeating: 0, count: n)
        let shift = config.frameShiftMs / 1000, half = config.frameLengthMs / 2000
        for s in syllables {
            guard let st = s.start, let en = s.end, en > st, let syl = Syllable(s.pinyin) else { continue }
            var split = st
            if syl.initial != nil {
                if let ph = s.phones, ph.count >= 2, ph[0].end > st, ph[0].end < en { split = ph[0].end }
                else { split = st + min(0.4 * (en - st), 0.1) }
            }
            let from = max(0, Int(((st - half) / shift).rounded(.up)))
            let to = min(n - 1, Int(((en - half) / shift).rounded(.down)))
            if from > to { continue }
            for t in from...to {
                let centre = Double(t) * shift + half
                let isInitial = syl.initial != nil && centre < split
                let unit = isInitial ? syl.initial! : syl.final
                out[t] = Int32(PhoneSet.index[unit]!)
                tones[t] = isInitial ? 0 : Int8((1...5).contains(syl.tone) ? syl.tone : 0)
            }
        }
        return (out, tones)
    }

    /// Loads every usable entry of a manifest; entries without audio or timings are skipped with a reason.
    public static func load(manifest: URL, config: AcousticFeatureConfig, limit: Int? = nil,
                            aligner: ForcedAligner? = nil,
                            warn: (String) -> Void = { _ in }) throws -> [LabelledUtterance] {
        guard let text = try? String(contentsOf: manifest, encoding: .utf8) else {
            throw ModelFileError(path: manifest.path, "cannot read manifest")
        }
        let base = manifest.deletingLastPathComponent()
        var out: [LabelledUtterance] = []
        for (i, line) in text.split(separator: "\n").enumerated() {
            if let l = limit, out.count >= l { break }
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                warn("\(manifest.path):\(i + 1): not JSON"); continue
            }
            let id = obj["id"] as? String ?? "line\(i + 1)"
            guard let audio = obj["audio"] as? String else { warn("\(id): no audio"); continue }
            // Timings: the entry's `alignment` file, else `<id>.json` beside the manifest (corpus generator layout).
            var alignPath = obj["alignment"] as? String
            if alignPath == nil, FileManager.default.fileExists(atPath: base.appendingPathComponent("\(id).json").path) {
                alignPath = "\(id).json"
            }
            let transcript = obj["transcript"] as? String
            if alignPath == nil && (aligner == nil || transcript == nil) {
                warn("\(id): no syllable timings (`alignment`) and no model to align its transcript with (--init)")
                continue
            }
            do {
                let (_, chans) = try AnalysisStream.readAll(path: base.appendingPathComponent(audio).path,
                                                            analysisRate: config.sampleRate)
                let raw = ModelInputStream.rawFrames(chans[0], config: config)
                let frameLabels: [Int32]
                var frameTones: [Int8]? = nil
                if let alignPath {
                    let al = try JSONDecoder().decode(Alignment.self, from: Data(contentsOf: base.appendingPathComponent(alignPath)))
                    (frameLabels, frameTones) = labelsAndTones(frames: raw.count, syllables: al.syllables, config: config)
                } else if let aligned = aligner!.align(samples: chans[0], transcript: transcript!, frames: raw.count) {
                    // A centre's own recording: transcript only, aligned with an existing model.
                    frameLabels = aligned
                } else {
                    warn("\(id): could not align the transcript"); continue
                }
                // Aligned transcripts have phone labels only: no tone loss for them (−1).
                out.append(LabelledUtterance(id: id, frames: raw.flatMap { $0 }, labels: frameLabels, tones: frameTones))
            } catch {
                warn("\(id): \(error)")
            }
        }
        return out
    }
}

/// Mini-batch Adam training of the acoustic model's MLP on frame labels (cross-entropy).
/// Deterministic for a given seed: one thread, seeded initialisation and shuffling.
public final class AcousticTrainer {
    public struct Options: Sendable {
        public var epochs = 8
        public var batchSize = 256
        public var learningRate: Float = 1e-3
        public var seed: UInt64 = 1
        public var hidden = [256, 256]
        /// Train a tone head beside the phones (a new model only; `--init` keeps the model's heads).
        public var tones = true
        /// Learning rate is multiplied by this after each epoch.
        public var decay: Float = 0.8
        /// Train on every n-th frame (neighbouring frames are nearly identical; 2 halves the time).
        public var frameStride = 2
        /// Spectral augmentation of each training example (off by default).
        public var augmentation = SpectralAugmentation()
        /// Share of hidden units dropped in each training example (inverted dropout; 0 = off).
        public var dropout: Float = 0
        public init() {}
    }

    public let config: AcousticFeatureConfig
    public let options: Options
    public private(set) var model: AcousticModel

    public init(config: AcousticFeatureConfig, options: Options, provenance: [String: String] = [:]) {
        self.config = config
        self.options = options
        model = AcousticModel(feature: config, hidden: options.hidden, seed: options.seed, tones: options.tones,
                              provenance: provenance)
    }

    /// Continues from an existing model (a centre's retraining on its own recordings).
    public init(starting model: AcousticModel, options: Options) {
        self.config = model.feature
        self.options = options
        self.model = model
    }

    /// Sets the global mean/std from the training frames.
    public func fitNormalisation(_ data: [LabelledUtterance]) {
        let nb = config.frameDim
        var sum = [Double](repeating: 0, count: nb), sq = sum
        var n = 0.0
        for u in data {
            for t in 0..<u.count { for c in 0..<nb { let v = Double(u.frames[t * nb + c]); sum[c] += v; sq[c] += v * v } }
            n += Double(u.count)
        }
        guard n > 0 else { return }
        model.mean = (0..<nb).map { Float(sum[$0] / n) }
        model.std = (0..<nb).map { Float(max((sq[$0] / n - (sum[$0] / n) * (sum[$0] / n)).squareRoot(), 1e-3)) }
    }

    /// Writes the stacked, normalised input of frame `t` of `u` into `dst`.
    @inline(__always)
    func stack(_ u: LabelledUtterance, _ t: Int, into dst: UnsafeMutablePointer<Float>) {
        let nb = config.frameDim
        var o = 0
        for off in config.context {
            let tt = min(max(t + off, 0), u.count - 1)
            for c in 0..<nb { dst[o + c] = (u.frames[tt * nb + c] - model.mean[c]) / model.std[c] }
            o += nb
        }
    }

    /// `stack` with each frame's bins read where `sources` says (warped, some masked to the mean).
    @inline(__always)
    public func stack(_ u: LabelledUtterance, _ t: Int, into dst: UnsafeMutablePointer<Float>, reading sources: SpectralAugmentation.Sources) {
        let nb = config.frameDim
        var o = 0
        for off in config.context {
            let tt = min(max(t + off, 0), u.count - 1)
            u.frames.withUnsafeBufferPointer { f in
                let base = f.baseAddress! + tt * nb
                for c in 0..<nb {
                    let v: Float
                    if sources.masked[c] { v = model.mean[c] }
                    else {
                        let i = sources.index[c], w = sources.weight[c]
                        v = w == 0 ? base[i] : base[i] * (1 - w) + base[min(i + 1, nb - 1)] * w
                    }
                    dst[o + c] = (v - model.mean[c]) / model.std[c]
                }
            }
            o += nb
        }
    }

    /// Frame accuracy and mean cross-entropy on `data`.
    public func evaluate(_ data: [LabelledUtterance]) -> (accuracy: Double, loss: Double) {
        var correct = 0, total = 0
        var loss = 0.0
        let dim = config.inputDim, u = model.outputColumns, np = PhoneSet.units.count
        for utt in data {
            var x = [Float](repeating: 0, count: utt.count * dim)
            x.withUnsafeMutableBufferPointer { p in for t in 0..<utt.count { stack(utt, t, into: p.baseAddress! + t * dim) } }
            let lp = model.mlp.logPosteriors(x, rows: utt.count)
            for t in 0..<utt.count {
                var best = 0
                for j in 1..<np where lp[t * u + j] > lp[t * u + best] { best = j }
                if best == Int(utt.labels[t]) { correct += 1 }
                loss -= Double(lp[t * u + Int(utt.labels[t])])
                total += 1
            }
        }
        return (Double(correct) / Double(max(total, 1)), loss / Double(max(total, 1)))
    }

    /// Trains; `report` gets one line per epoch.
    public func train(_ data: [LabelledUtterance], dev: [LabelledUtterance] = [], report: (String) -> Void = { _ in }) {
        var rng = SplitMix64(seed: options.seed &+ 0x5EED)
        var index: [(Int32, Int32)] = []
        for (i, u) in data.enumerated() {
            for t in stride(from: (i % max(options.frameStride, 1)), to: u.count, by: max(options.frameStride, 1)) {
                index.append((Int32(i), Int32(t)))
            }
        }
        var mlp = model.mlp
        let L = mlp.weights.count
        let sizes = mlp.sizes
        var mW = mlp.weights.map { [Float](repeating: 0, count: $0.count) }, vW = mW
        var mB = mlp.biases.map { [Float](repeating: 0, count: $0.count) }, vB = mB
        var step: Float = 0
        var lr = options.learningRate
        let B = options.batchSize
        // Activations per layer (batch × size) and gradients.
        var acts = sizes.map { [Float](repeating: 0, count: B * $0) }
        var grads = sizes.map { [Float](repeating: 0, count: B * $0) }
        var gW = mlp.weights.map { [Float](repeating: 0, count: $0.count) }
        var gB = mlp.biases.map { [Float](repeating: 0, count: $0.count) }
        var labels = [Int](repeating: 0, count: B)
        var toneLabels = [Int](repeating: -1, count: B)
        let hasTones = mlp.heads.count > 1
        let augment = SpectralAugmentation.Sampler(options.augmentation, config: config)
        var sources = SpectralAugmentation.Sources(bins: config.frameDim)
        let keep = 1 - min(max(options.dropout, 0), 0.9), dropScale = 1 / keep
        for epoch in 1...max(1, options.epochs) {
            index.shuffle(using: &rng)
            let t0 = Date()
            var lossSum = 0.0, seen = 0, correct = 0, toneCorrect = 0
            var start = 0
            while start < index.count {
                let n = min(B, index.count - start)
                acts[0].withUnsafeMutableBufferPointer { p in
                    for r in 0..<n {
                        let (ui, t) = index[start + r]
                        if augment.isActive {
                            augment.draw(using: &rng, into: &sources)
                            stack(data[Int(ui)], Int(t), into: p.baseAddress! + r * sizes[0], reading: sources)
                        } else {
                            stack(data[Int(ui)], Int(t), into: p.baseAddress! + r * sizes[0])
                        }
                        labels[r] = Int(data[Int(ui)].labels[Int(t)])
                        toneLabels[r] = hasTones ? Int(data[Int(ui)].tones[Int(t)]) : -1
                    }
                }
                // Forward.
                for l in 0..<L {
                    let k = sizes[l], m = sizes[l + 1]
                    acts[l].withUnsafeBufferPointer { a in mlp.weights[l].withUnsafeBufferPointer { w in
                        acts[l + 1].withUnsafeMutableBufferPointer { c in
                            Dense.matmul(a.baseAddress!, w.baseAddress!, c.baseAddress!, n: n, k: k, m: m)
                            for r in 0..<n { for j in 0..<m {
                                let v = c[r * m + j] + mlp.biases[l][j]
                                c[r * m + j] = l == L - 1 ? v : max(v, 0)
                            } }
                            if l < L - 1 && keep < 1 {
                                for i in 0..<(n * m) where c[i] > 0 { c[i] = rng.nextFloat() < keep ? c[i] * dropScale : 0 }
                            }
                        } } }
                }
                // Softmax cross-entropy gradient, per head (phones; tones when the model has them).
                let U = sizes[L]
                acts[L].withUnsafeMutableBufferPointer { z in
                    grads[L].withUnsafeMutableBufferPointer { g in
                        for r in 0..<n {
                            var lo = 0
                            for (h, width) in mlp.heads.enumerated() {
                                let target = h == 0 ? labels[r] : toneLabels[r]
                                let zr = z.baseAddress! + r * U + lo, gr = g.baseAddress! + r * U + lo
                                if target < 0 {
                                    for j in 0..<width { gr[j] = 0 }
                                    lo += width; continue
                                }
                                var mx = -Float.infinity
                                var arg = 0
                                for j in 0..<width where zr[j] > mx { mx = zr[j]; arg = j }
                                if h == 0 && arg == target { correct += 1 }
                                var s: Float = 0
                                for j in 0..<width { let e = expf(zr[j] - mx); gr[j] = e; s += e }
                                for j in 0..<width { gr[j] /= s }
                                if h == 0 { lossSum -= Double(logf(max(gr[target], 1e-30))) }
                                else if arg == target { toneCorrect += 1 }
                                gr[target] -= 1
                                for j in 0..<width { gr[j] /= Float(n) }
                                lo += width
                            }
                        }
                    }
                }
                // Backward.
                for l in stride(from: L - 1, through: 0, by: -1) {
                    let k = sizes[l], m = sizes[l + 1]
                    for i in 0..<gW[l].count { gW[l][i] = 0 }
                    acts[l].withUnsafeBufferPointer { a in grads[l + 1].withUnsafeBufferPointer { g in
                        gW[l].withUnsafeMutableBufferPointer { w in
                            Dense.matmulATB(a.baseAddress!, g.baseAddress!, w.baseAddress!, n: n, k: k, m: m)
                        } } }
                    for j in 0..<m { var s: Float = 0; for r in 0..<n { s += grads[l + 1][r * m + j] }; gB[l][j] = s }
                    if l > 0 {
                        grads[l + 1].withUnsafeBufferPointer { g in mlp.weights[l].withUnsafeBufferPointer { w in
                            grads[l].withUnsafeMutableBufferPointer { d in
                                Dense.matmulABT(g.baseAddress!, w.baseAddress!, d.baseAddress!, n: n, m: m, k: k)
                                // ReLU, and dropout's mask (a dropped unit's activation is 0) and scale.
                                for i in 0..<(n * k) { d[i] = acts[l][i] <= 0 ? 0 : (keep < 1 ? d[i] * dropScale : d[i]) }
                            } } }
                    }
                }
                // Adam.
                step += 1
                let c1 = 1 - powf(0.9, step), c2 = 1 - powf(0.999, step)
                for l in 0..<L {
                    AcousticTrainer.adam(&mlp.weights[l], gW[l], &mW[l], &vW[l], lr: lr, c1: c1, c2: c2)
                    AcousticTrainer.adam(&mlp.biases[l], gB[l], &mB[l], &vB[l], lr: lr, c1: c1, c2: c2)
                }
                seen += n
                start += n
            }
            model.mlp = mlp
            var line = String(format: "epoch %d/%d  loss %.3f  train acc %.3f  lr %.2e  %.0f s",
                              epoch, options.epochs, lossSum / Double(max(seen, 1)), Double(correct) / Double(max(seen, 1)),
                              lr, Date().timeIntervalSince(t0))
            if hasTones { line += String(format: "  tone acc %.3f", Double(toneCorrect) / Double(max(seen, 1))) }
            if !dev.isEmpty {
                let (acc, loss) = evaluate(dev)
                line += String(format: "  dev acc %.3f  dev loss %.3f", acc, loss)
            }
            report(line)
            lr *= options.decay
        }
        model.mlp = mlp
    }

    @inline(__always)
    static func adam(_ w: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float], lr: Float, c1: Float, c2: Float) {
        for i in 0..<w.count {
            m[i] = 0.9 * m[i] + 0.1 * g[i]
            v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
            w[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
        }
    }
}

/// Training-time augmentation of the acoustic model's input, for voices it has not heard:
/// vocal-tract-length perturbation (each example's spectrum read at frequencies scaled by a random
/// factor, as a longer or shorter vocal tract shifts the formants) and frequency masking (a random
/// band of mel bins set to its mean, so no single band is relied on). Both act on the log-mel bins
/// only; pitch features pass unchanged. The running mean subtraction is linear and the same for
/// every bin, so warping the normalised frames equals warping the spectrum before it.
public struct SpectralAugmentation: Sendable, Equatable {
    /// Warp factors are drawn uniformly from [1 − warp, 1 + warp] (0 = off).
    public var warp: Float = 0
    /// Each example masks a band of 0…maxMaskBins bins (0 = off).
    public var maxMaskBins = 0
    public init(warp: Float = 0, maxMaskBins: Int = 0) { self.warp = warp; self.maxMaskBins = maxMaskBins }
    public var isActive: Bool { warp > 0 || maxMaskBins > 0 }
    public var summary: String { String(format: "warp %.2f, frequency mask ≤ %d bins", warp, maxMaskBins) }

    /// Where each bin of one example is read from: `index` and `index + 1` mixed by `weight`, or the mean.
    public struct Sources {
        public var index: [Int], weight: [Float], masked: [Bool]
        public init(bins: Int) {
            index = Array(0..<bins); weight = [Float](repeating: 0, count: bins); masked = [Bool](repeating: false, count: bins)
        }
    }

    /// The fractional mel-bin position each bin reads for warp factor `alpha`: bin centres are moved
    /// to `alpha` × their frequency below 80 % of the band's top (scaled down for alpha > 1) and
    /// linearly to the top edge above it, so the band edges stay where they are.
    public static func warpPositions(alpha: Double, config: AcousticFeatureConfig) -> [Double] {
        let n = config.numBins
        func mel(_ f: Double) -> Double { 1127 * log(1 + f / 700) }
        func hz(_ m: Double) -> Double { 700 * (exp(m / 1127) - 1) }
        let lo = mel(config.lowFreq), hi = mel(config.highFreq), step = (hi - lo) / Double(n + 1)
        let fHigh = config.highFreq, f0 = 0.8 * fHigh / max(alpha, 1)
        return (0..<n).map { c in
            let f = hz(lo + Double(c + 1) * step)
            var g = f <= f0 ? alpha * f : alpha * f0 + (f - f0) * (fHigh - alpha * f0) / (fHigh - f0)
            g = min(max(g, config.lowFreq), fHigh)
            return min(max((mel(g) - lo) / step - 1, 0), Double(n - 1))
        }
    }

    /// Draws one example's warp and mask with a seeded generator.
    public struct Sampler: Sendable {
        let options: SpectralAugmentation
        let config: AcousticFeatureConfig
        /// Warp positions precomputed for 65 factors across the range (drawn from uniformly).
        let tables: [[Double]]
        public init(_ options: SpectralAugmentation, config: AcousticFeatureConfig) {
            self.options = options; self.config = config
            // Warping interpolates between neighbouring bins: it needs two at least.
            tables = options.warp > 0 && config.numBins >= 2
                ? (0...64).map { k in SpectralAugmentation.warpPositions(alpha: 1 + Double(options.warp) * (Double(k) / 32 - 1), config: config) }
                : []
        }
        public var isActive: Bool { options.isActive }

        public func draw(using rng: inout SplitMix64, into s: inout Sources) {
            let n = config.numBins
            if !tables.isEmpty {
                let table = tables[Int(rng.next() % UInt64(tables.count))]
                for c in 0..<n { let p = table[c]; let i = min(Int(p), n - 2); s.index[c] = i; s.weight[c] = Float(p - Double(i)) }
            }
            for c in 0..<n { s.masked[c] = false }
            if options.maxMaskBins > 0 {
                let width = Int(rng.next() % UInt64(min(options.maxMaskBins, n) + 1))
                if width > 0 {
                    let first = Int(rng.next() % UInt64(n - width + 1))
                    for c in first..<(first + width) { s.masked[c] = true }
                }
            }
        }
    }
}
