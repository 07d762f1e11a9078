import Foundation
import Spotting

/// A sparse feature vector: feature name → value.
public typealias FeatureVector = [String: Double]

/// Multinomial logistic regression over named sparse features (softmax over labels), L2-regularised,
/// trained with deterministic mini-batch Adam. Small enough to read: every prediction can be
/// explained as the sum of `weight × value` over the features present.
public struct SoftmaxClassifier: Sendable, Equatable {
    public var labels: [String]
    public var bias: [Double]
    /// Feature → one weight per label.
    public var weights: [String: [Double]]

    public init(labels: [String], bias: [Double]? = nil, weights: [String: [Double]] = [:]) {
        self.labels = labels
        self.bias = bias ?? [Double](repeating: 0, count: labels.count)
        self.weights = weights
    }

    /// Logits per label.
    public func logits(_ x: FeatureVector) -> [Double] {
        var z = bias
        for (f, v) in x {
            guard let w = weights[f] else { continue }
            for c in z.indices { z[c] += w[c] * v }
        }
        return z
    }

    public func probabilities(_ x: FeatureVector) -> [Double] { Self.softmax(logits(x)) }

    /// Labels with probabilities, most likely first.
    public func ranked(_ x: FeatureVector) -> [(label: String, p: Double)] {
        zip(labels, probabilities(x)).map { ($0, $1) }.sorted { $0.p > $1.p || ($0.p == $1.p && $0.label < $1.label) }
    }

    /// The features that pushed `label` up the most (weight × value, largest first).
    public func contributions(_ x: FeatureVector, label: String, limit: Int = 5) -> [(feature: String, amount: Double)] {
        guard let c = labels.firstIndex(of: label) else { return [] }
        var out: [(String, Double)] = []
        for (f, v) in x { if let w = weights[f] { let a = w[c] * v; if a > 0 { out.append((f, a)) } } }
        return Array(out.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(limit)).map { ($0.0, $0.1) }
    }

    public static func softmax(_ z: [Double]) -> [Double] {
        guard let m = z.max() else { return [] }
        let e = z.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// The weight-by-weight mean of classifiers over the same labels (a feature missing from one
    /// counts as zero there).
    public static func average(_ members: [SoftmaxClassifier]) -> SoftmaxClassifier {
        precondition(!members.isEmpty && members.allSatisfy { $0.labels == members[0].labels })
        let labels = members[0].labels
        var w: [String: [Double]] = [:]
        var b = [Double](repeating: 0, count: labels.count)
        for m in members {
            for (f, v) in m.weights {
                var acc = w[f] ?? [Double](repeating: 0, count: labels.count)
                for c in acc.indices { acc[c] += v[c] }
                w[f] = acc
            }
            for c in b.indices { b[c] += m.bias[c] }
        }
        let k = Double(members.count)
        var out = SoftmaxClassifier(labels: labels)
        out.weights = w.mapValues { $0.map { $0 / k } }
        out.bias = b.map { $0 / k }
        return out
    }

    public struct TrainingOptions: Sendable {
        public var epochs = 20
        public var batchSize = 32
        public var learningRate = 0.05
        /// L2 penalty per example (λ/N · ‖W‖² is added to the mean loss).
        public var l2 = 1e-4
        public var seed: UInt64 = 12345
        /// The learning rate falls linearly to zero over the run, so the weights settle instead
        /// of ending wherever the last mini-batches pushed them (the triage fitter turns it on).
        public var decay = false
        public init() {}
    }

    /// Fits on `(features, label index, example weight)`; deterministic for a given seed.
    /// Features not seen in training get no weight. Returns the final mean training loss.
    @discardableResult
    public mutating func fit(_ data: [(x: FeatureVector, y: Int, weight: Double)], options: TrainingOptions = .init(),
                             progress: (Int, Double) -> Void = { _, _ in }) -> Double {
        let C = labels.count
        // Index features for dense parameter arrays.
        var index: [String: Int] = [:]
        var names: [String] = []
        let rows: [[(Int, Double)]] = data.map { ex in
            ex.x.keys.sorted().map { f in
                if let i = index[f] { return (i, ex.x[f]!) }
                index[f] = names.count; names.append(f); return (names.count - 1, ex.x[f]!)
            }
        }
        let F = names.count
        var W = [Double](repeating: 0, count: F * C)
        for (f, w) in weights { if let i = index[f] { for c in 0..<C { W[i * C + c] = w[c] } } }
        var b = bias
        // Adam state; for sparse rows the moments are updated lazily only where gradients flow,
        // plus an L2 decay applied to the touched rows (standard sparse practice).
        var mW = [Double](repeating: 0, count: F * C), vW = mW
        var mb = [Double](repeating: 0, count: C), vb = mb
        let beta1 = 0.9, beta2 = 0.999, eps = 1e-8
        var step = 0
        var rng = SplitMix64(seed: options.seed)
        var order = Array(data.indices)
        var lastLoss = 0.0
        let totalWeight = max(1e-9, data.reduce(0) { $0 + $1.weight })
        let totalSteps = max(1, options.epochs * ((data.count + options.batchSize - 1) / options.batchSize))
        for epoch in 0..<options.epochs {
            // Fisher–Yates with the seeded generator.
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1)); order.swapAt(i, j)
            }
            var lossSum = 0.0
            var start = 0
            while start < order.count {
                let batch = order[start..<min(order.count, start + options.batchSize)]
                start += options.batchSize
                var gW: [Int: [Double]] = [:]
                var gb = [Double](repeating: 0, count: C)
                var bw = 0.0
                for n in batch {
                    let ex = data[n]
                    var z = b
                    for (i, v) in rows[n] { for c in 0..<C { z[c] += W[i * C + c] * v } }
                    let p = Self.softmax(z)
                    lossSum += -Foundation.log(max(p[ex.y], 1e-12)) * ex.weight
                    var d = p; d[ex.y] -= 1
                    for c in 0..<C { d[c] *= ex.weight; gb[c] += d[c] }
                    for (i, v) in rows[n] {
                        var g = gW[i] ?? [Double](repeating: 0, count: C)
                        for c in 0..<C { g[c] += d[c] * v }
                        gW[i] = g
                    }
                    bw += ex.weight
                }
                guard bw > 0 else { continue }
                step += 1
                let lr = options.decay
                    ? options.learningRate * max(0, 1 - Double(step - 1) / Double(totalSteps))
                    : options.learningRate
                let c1 = 1 - Foundation.pow(beta1, Double(step)), c2 = 1 - Foundation.pow(beta2, Double(step))
                for (i, g) in gW {
                    for c in 0..<C {
                        let k = i * C + c
                        let grad = g[c] / bw + options.l2 * W[k] * 2
                        mW[k] = beta1 * mW[k] + (1 - beta1) * grad
                        vW[k] = beta2 * vW[k] + (1 - beta2) * grad * grad
                        W[k] -= lr * (mW[k] / c1) / ((vW[k] / c2).squareRoot() + eps)
                    }
                }
                for c in 0..<C {
                    let grad = gb[c] / bw
                    mb[c] = beta1 * mb[c] + (1 - beta1) * grad
                    vb[c] = beta2 * vb[c] + (1 - beta2) * grad * grad
                    b[c] -= lr * (mb[c] / c1) / ((vb[c] / c2).squareRoot() + eps)
                }
            }
            lastLoss = lossSum / totalWeight
            progress(epoch + 1, lastLoss)
        }
        bias = b
        var out: [String: [Double]] = [:]
        for (f, i) in index { out[f] = Array(W[(i * C)..<((i + 1) * C)]) }
        weights = out
        return lastLoss
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1) (53 bits).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
