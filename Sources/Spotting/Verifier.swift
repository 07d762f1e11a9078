import Foundation

/// Second pass over a keyword hit: how well the keyword's phones fit the hit's frames.
///
/// The decoder's score is one number, the mean log posterior over the keyword's phone states. A
/// false alarm often reaches a good mean with one phone that does not fit at all, with phones that
/// are merely plausible but never the best unit, with a wrong tone or with a stretch of silence
/// inside. `HitFeatures` aligns each pronunciation of the keyword to exactly the hit's frames (every
/// phone within its duration limits, Viterbi over segment lengths) and measures those things;
/// `HitVerifier` turns them into the probability that the hit is real (logistic regression, fitted
/// on hits labelled against reference keyword times: `calltriage model fit-verifier`).
public enum HitFeatures {
    public static let names = [
        "raw_log_score", "mean_phone_logp", "min_phone_logp", "mean_margin", "min_margin",
        "mean_tone_logp", "min_tone_logp", "best_frame_share", "silence_share", "phones",
        "characters", "log_seconds_per_character", "weak_phone_share",
        // The keyword's record in the fitting audio (`HitVerifier.Prior`), appended by the verifier.
        "keyword_false_alarm_rate", "keyword_real_share",
    ]
    /// Features measured on the hit itself (the last two are the keyword's prior).
    public static let measured = names.count - 2

    /// One pronunciation as the decoder runs it: model unit per state, allowed-tone mask per state
    /// (0 = any), and the frame limits per state.
    public struct Chain: Sendable, Equatable {
        public var units: [Int]
        public var tones: [UInt8]
        public var minFrames: [Int]
        public var maxFrames: [Int]
        public init(units: [Int], tones: [UInt8], minFrames: [Int], maxFrames: [Int]) {
            self.units = units; self.tones = tones; self.minFrames = minFrames; self.maxFrames = maxFrames
        }
    }

    /// The best segmentation of `rows` frames (log posteriors, `columns` per row) into the chain's
    /// states: the start frame of each state (plus `rows` at the end) and the summed frame score,
    /// or nil when the duration limits cannot fit the span.
    static func align(_ chain: Chain, span: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
                      toneOffset: Int?) -> (bounds: [Int], score: Float)? {
        let S = chain.units.count
        guard S > 0, rows >= chain.minFrames.reduce(0, +), rows <= chain.maxFrames.reduce(0, +) else { return nil }
        let W = rows + 1
        // Prefix sums of each state's frame score (flat, S × W).
        var prefix = [Float](repeating: 0, count: S * W)
        for s in 0..<S {
            for t in 0..<rows {
                prefix[s * W + t + 1] = prefix[s * W + t] + frameScore(chain, s, span, t, columns, toneOffset)
            }
        }
        // best[s][t]: states 0…s cover frames 0..<t exactly; from: where state s started.
        var best = [Float](repeating: -.infinity, count: S * W)
        var from = [Int32](repeating: -1, count: S * W)
        for s in 0..<S {
            for t in 1...rows {
                var b = -Float.infinity, arg: Int32 = -1
                let longest = min(chain.maxFrames[s], t)
                if chain.minFrames[s] > longest { continue }
                for d in chain.minFrames[s]...longest {
                    let prev: Float = s == 0 ? (t - d == 0 ? 0 : -.infinity) : best[(s - 1) * W + t - d]
                    guard prev > -.infinity else { continue }
                    let v = prev + prefix[s * W + t] - prefix[s * W + t - d]
                    if v > b { b = v; arg = Int32(t - d) }
                }
                best[s * W + t] = b; from[s * W + t] = arg
            }
        }
        guard best[(S - 1) * W + rows] > -.infinity else { return nil }
        var bounds = [Int](repeating: 0, count: S + 1)
        bounds[S] = rows
        var t = rows
        for s in stride(from: S - 1, through: 0, by: -1) { t = Int(from[s * W + t]); bounds[s] = t }
        return (bounds, best[(S - 1) * W + rows])
    }

    /// Log posterior of the state's unit plus, on a toned final, the log posterior of its best allowed tone.
    @inline(__always)
    static func frameScore(_ c: Chain, _ s: Int, _ span: UnsafeBufferPointer<Float>, _ t: Int, _ columns: Int, _ toneOffset: Int?) -> Float {
        let row = t * columns
        var e = max(span[row + c.units[s]], -20)
        if let to = toneOffset, c.tones[s] != 0 { e += toneLogp(c.tones[s], span, row + to) }
        return e
    }

    @inline(__always)
    static func toneLogp(_ mask: UInt8, _ span: UnsafeBufferPointer<Float>, _ base: Int) -> Float {
        var v = -Float.infinity
        for k in 1...5 where mask & (1 << k) != 0 { v = max(v, span[base + k]) }
        return max(v, -20)
    }

    /// The features of a hit spanning `rows` frames of `span`, for the keyword's chains (the best
    /// aligned pronunciation is measured); nil when no pronunciation fits the span.
    public static func compute(chains: [Chain], characters: Int, span: [Float], rows: Int, columns: Int,
                               toneOffset: Int?, frameSeconds: Double, rawScore: Double) -> [Float]? {
        span.withUnsafeBufferPointer { sp -> [Float]? in
            var bestChain: (Chain, [Int])? = nil
            var bestScore = -Float.infinity
            for c in chains {
                if let a = align(c, span: sp, rows: rows, columns: columns, toneOffset: toneOffset), a.score > bestScore {
                    bestScore = a.score; bestChain = (c, a.bounds)
                }
            }
            guard let (c, bounds) = bestChain else { return nil }
            let nPhones = PhoneSet.units.count
            let sil = PhoneSet.index[PhoneSet.silence] ?? 0
            var posts: [Float] = [], margins: [Float] = [], tones: [Float] = []
            var bestFrames = 0, silFrames = 0
            for s in 0..<c.units.count {
                let a = bounds[s], b = bounds[s + 1]
                var p: Float = 0, m: Float = 0, tn: Float = 0
                for t in a..<b {
                    let row = t * columns
                    var top = -Float.infinity, arg = 0
                    for j in 0..<nPhones where sp[row + j] > top { top = sp[row + j]; arg = j }
                    let lp = max(sp[row + c.units[s]], -20)
                    p += lp; m += lp - max(top, -20)
                    if arg == c.units[s] { bestFrames += 1 }
                    if arg == sil { silFrames += 1 }
                    if let to = toneOffset, c.tones[s] != 0 { tn += toneLogp(c.tones[s], sp, row + to) }
                }
                let n = Float(max(1, b - a))
                posts.append(p / n); margins.append(m / n)
                if toneOffset != nil && c.tones[s] != 0 { tones.append(tn / n) }
            }
            let S = Float(c.units.count)
            let chars = Float(max(1, characters))
            return [
                Float(log(max(rawScore, 1e-9))),
                posts.reduce(0, +) / S, posts.min() ?? 0,
                margins.reduce(0, +) / S, margins.min() ?? 0,
                tones.isEmpty ? 0 : tones.reduce(0, +) / Float(tones.count), tones.min() ?? 0,
                Float(bestFrames) / Float(rows), Float(silFrames) / Float(rows),
                S, chars, logf(Float(Double(rows) * frameSeconds) / chars),
                Float(posts.filter { $0 < logf(0.1) }.count) / S,
            ]
        }
    }
}

/// Logistic regression over `HitFeatures` (standardised): P(hit is a real occurrence).
///
/// Besides what the hit looks like, the regression knows each keyword's record in the fitting
/// audio (its prior): how often per hour it was a false alarm there, and what share of its
/// candidates were real. Two-character words that ordinary speech keeps producing (轧了, 没电)
/// need far stronger evidence than 拖欠工资; per-keyword thresholds used to carry that alone. A
/// keyword the fit never saw takes the mean prior of the fitted keywords of its length.
public struct HitVerifier: Sendable, Equatable {
    public static let format = "calltriage-verifier v1"

    /// A keyword's record in the fitting audio: log((false alarms + ½) / hours) and
    /// log((real + ½) / (candidates + 1)).
    public struct Prior: Sendable, Equatable {
        public var falseAlarmRate: Float
        public var realShare: Float
        public init(falseAlarmRate: Float, realShare: Float) { self.falseAlarmRate = falseAlarmRate; self.realShare = realShare }

        public static func of(falseAlarms: Int, real: Int, hours: Double) -> Prior {
            Prior(falseAlarmRate: Float(log((Double(falseAlarms) + 0.5) / max(hours, 1e-6))),
                  realShare: Float(log((Double(real) + 0.5) / Double(falseAlarms + real + 1))))
        }
    }
    /// Per keyword text; per character count ("*2" … "*5", 5 = five or more) for keywords not fitted.
    public var priors: [String: Prior] = [:]

    public func prior(of keyword: String) -> Prior {
        if let p = priors[keyword] { return p }
        return priors["*\(min(5, max(2, keyword.count)))"] ?? Prior(falseAlarmRate: 0, realShare: 0)
    }

    /// The full feature row: the hit's measured features and the keyword's prior.
    public func features(_ measured: [Float], keyword: String) -> [Float] {
        let p = prior(of: keyword)
        return measured + [p.falseAlarmRate, p.realShare]
    }
    public var mean: [Float]
    public var std: [Float]
    public var weights: [Float]
    public var bias: Float
    /// The decoder's raw score a candidate needs before it is verified.
    public var candidateFloor: Double
    public var notes: [String] = []

    public init(mean: [Float], std: [Float], weights: [Float], bias: Float, candidateFloor: Double, notes: [String] = []) {
        self.mean = mean; self.std = std; self.weights = weights; self.bias = bias
        self.candidateFloor = candidateFloor; self.notes = notes
    }

    public func probability(_ measured: [Float], keyword: String) -> Double {
        probability(features(measured, keyword: keyword))
    }

    public func probability(_ f: [Float]) -> Double {
        var z = bias
        for i in 0..<min(f.count, weights.count) { z += weights[i] * (f[i] - mean[i]) / std[i] }
        return 1 / (1 + exp(-Double(z)))
    }

    /// Fits the regression (Newton's method, L2 penalty `l2` on the standardised weights) to
    /// feature rows labelled true (real occurrence) or false (false alarm). Deterministic.
    public static func fit(_ x: [[Float]], _ y: [Bool], l2: Double = 1e-2, candidateFloor: Double,
                           iterations: Int = 30, notes: [String] = []) -> HitVerifier {
        precondition(!x.isEmpty && x.count == y.count)
        let d = x[0].count, n = x.count
        var mean = [Float](repeating: 0, count: d), std = [Float](repeating: 0, count: d)
        for r in x { for j in 0..<d { mean[j] += r[j] } }
        for j in 0..<d { mean[j] /= Float(n) }
        for r in x { for j in 0..<d { std[j] += (r[j] - mean[j]) * (r[j] - mean[j]) } }
        for j in 0..<d { std[j] = max(1e-4, (std[j] / Float(n)).squareRoot()) }
        let z = x.map { r in (0..<d).map { Double((r[$0] - mean[$0]) / std[$0]) } + [1.0] }
        let D = d + 1
        var w = [Double](repeating: 0, count: D)
        for _ in 0..<iterations {
            var g = [Double](repeating: 0, count: D)
            var h = [[Double]](repeating: [Double](repeating: 0, count: D), count: D)
            for (i, r) in z.enumerated() {
                var a = 0.0
                for j in 0..<D { a += w[j] * r[j] }
                let p = 1 / (1 + exp(-a))
                let e = p - (y[i] ? 1 : 0)
                let v = max(p * (1 - p), 1e-9)
                for j in 0..<D {
                    g[j] += e * r[j]
                    for k in j..<D { h[j][k] += v * r[j] * r[k] }
                }
            }
            for j in 0..<D { for k in 0..<j { h[j][k] = h[k][j] } }
            for j in 0..<d { g[j] += l2 * Double(n) * w[j]; h[j][j] += l2 * Double(n) }
            h[d][d] += 1e-9
            let step = solve(h, g)
            var largest = 0.0
            for j in 0..<D { w[j] -= step[j]; largest = max(largest, abs(step[j])) }
            if largest < 1e-7 { break }
        }
        return HitVerifier(mean: mean, std: std, weights: w.prefix(d).map { Float($0) }, bias: Float(w[d]),
                           candidateFloor: candidateFloor, notes: notes)
    }

    /// Gaussian elimination with partial pivoting (the system is small and positive definite).
    static func solve(_ a0: [[Double]], _ b0: [Double]) -> [Double] {
        var a = a0, b = b0
        let n = b.count
        for c in 0..<n {
            var p = c
            for r in c + 1..<n where abs(a[r][c]) > abs(a[p][c]) { p = r }
            a.swapAt(c, p); b.swapAt(c, p)
            let piv = a[c][c]
            guard abs(piv) > 1e-300 else { continue }
            for r in c + 1..<n {
                let f = a[r][c] / piv
                if f == 0 { continue }
                for k in c..<n { a[r][k] -= f * a[c][k] }
                b[r] -= f * b[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for k in r + 1..<n { s -= a[r][k] * x[k] }
            x[r] = abs(a[r][r]) > 1e-300 ? s / a[r][r] : 0
        }
        return x
    }

    // MARK: file format

    public func write(to url: URL) throws {
        var s = "# \(HitVerifier.format)\n" + notes.map { "# \($0)\n" }.joined()
        s += "name\tmean\tstd\tweight\n"
        s += "candidate_floor\t\(candidateFloor)\n"
        s += "bias\t\(bias)\n"
        for (i, name) in HitFeatures.names.enumerated() where i < weights.count {
            s += "\(name)\t\(mean[i])\t\(std[i])\t\(weights[i])\n"
        }
        for k in priors.keys.sorted() {
            s += "prior:\(k)\t\(priors[k]!.falseAlarmRate)\t\(priors[k]!.realShare)\t-\n"
        }
        try s.write(to: url, atomically: true, encoding: .utf8)
    }

    public init(contentsOf url: URL) throws {
        var floor: Double? = nil, bias: Float? = nil
        var byName: [String: (Float, Float, Float)] = [:]
        var priors: [String: Prior] = [:]
        for (row, line) in try Lexicon.rows(url, format: HitVerifier.format) {
            switch row[0] {
            case "candidate_floor":
                guard row.count >= 2, let v = Double(row[1]), v > 0, v < 1 else { throw ModelFileError(path: url.path, "line \(line): candidate_floor must be in (0, 1)") }
                floor = v
            case "bias":
                guard row.count >= 2, let v = Float(row[1]) else { throw ModelFileError(path: url.path, "line \(line): bias is not a number") }
                bias = v
            case let name where name.hasPrefix("prior:"):
                guard row.count >= 3, let a = Float(row[1]), let b = Float(row[2]), name.count > 6 else {
                    throw ModelFileError(path: url.path, "line \(line): expected prior:KEYWORD<TAB>false-alarm rate<TAB>real share")
                }
                priors[String(name.dropFirst(6))] = Prior(falseAlarmRate: a, realShare: b)
            default:
                guard row.count >= 4, let m = Float(row[1]), let s = Float(row[2]), let w = Float(row[3]), s > 0 else {
                    throw ModelFileError(path: url.path, "line \(line): expected feature<TAB>mean<TAB>std<TAB>weight")
                }
                guard HitFeatures.names.contains(row[0]) else {
                    throw ModelFileError(path: url.path, "line \(line): unknown feature '\(row[0])' (this build knows \(HitFeatures.names.joined(separator: ", ")))")
                }
                byName[row[0]] = (m, s, w)
            }
        }
        guard let floor, let bias else { throw ModelFileError(path: url.path, "candidate_floor and bias are required") }
        let missing = HitFeatures.names.filter { byName[$0] == nil }
        guard missing.isEmpty else { throw ModelFileError(path: url.path, "missing features: \(missing.joined(separator: ", "))") }
        self.init(mean: HitFeatures.names.map { byName[$0]!.0 }, std: HitFeatures.names.map { byName[$0]!.1 },
                  weights: HitFeatures.names.map { byName[$0]!.2 }, bias: bias, candidateFloor: floor)
        self.priors = priors
    }
}
