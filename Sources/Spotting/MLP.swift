import Foundation

/// Dense row-major matrix kernels for the acoustic model (inference and training).
/// Written as row-axpy loops over contiguous rows so they vectorise with SIMD8.
enum Dense {
    /// y[0..<m] += a · x[0..<m].
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ m: Int) {
        let s = SIMD8<Float>(repeating: a)
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        var j = 0
        while j + 8 <= m {
            let v = ry.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                  + s * rx.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        while j < m { y[j] += a * x[j]; j += 1 }
    }

    /// C[n×m] (+)= A[n×k] · B[k×m].
    static func matmul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                       n: Int, k: Int, m: Int, accumulate: Bool = false) {
        if !accumulate { c.update(repeating: 0, count: n * m) }
        for i in 0..<n {
            for kk in 0..<k {
                let av = a[i * k + kk]
                if av != 0 { axpy(av, b + kk * m, c + i * m, m) }   // ReLU outputs are often exactly zero
            }
        }
    }

    /// C[k×m] += Aᵀ · B for A[n×k], B[n×m] (weight gradients).
    static func matmulATB(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                          n: Int, k: Int, m: Int) {
        for i in 0..<n {
            for kk in 0..<k {
                let av = a[i * k + kk]
                if av != 0 { axpy(av, b + i * m, c + kk * m, m) }
            }
        }
    }

    /// C[n×k] = A[n×m] · Bᵀ for B[k×m] (back-propagated errors).
    static func matmulABT(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                          n: Int, m: Int, k: Int) {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        for i in 0..<n {
            for kk in 0..<k {
                var acc = SIMD8<Float>()
                var j = 0
                while j + 8 <= m {
                    acc += ra.loadUnaligned(fromByteOffset: (i * m + j) * 4, as: SIMD8<Float>.self)
                         * rb.loadUnaligned(fromByteOffset: (kk * m + j) * 4, as: SIMD8<Float>.self)
                    j += 8
                }
                var s = acc.sum()
                while j < m { s += a[i * m + j] * b[kk * m + j]; j += 1 }
                c[i * k + kk] = s
            }
        }
    }
}

/// A feed-forward network: dense layers with ReLU between them, log-softmax at the end.
public struct MLP: Sendable, Equatable {
    /// Layer sizes, input first: [280, 192, 192, 61].
    public var sizes: [Int]
    /// weights[l] is sizes[l] × sizes[l+1], row-major; biases[l] has sizes[l+1].
    public var weights: [[Float]]
    public var biases: [[Float]]

    public var parameterCount: Int { weights.reduce(0) { $0 + $1.count } + biases.reduce(0) { $0 + $1.count } }

    /// He-uniform initialisation from a seeded generator (deterministic).
    public init(sizes: [Int], seed: UInt64) {
        self.sizes = sizes
        var rng = SplitMix64(seed: seed)
        weights = []; biases = []
        for l in 0..<(sizes.count - 1) {
            let fanIn = sizes[l], fanOut = sizes[l + 1]
            let limit = Float((6.0 / Double(fanIn)).squareRoot())
            weights.append((0..<(fanIn * fanOut)).map { _ in (rng.nextFloat() * 2 - 1) * limit })
            biases.append([Float](repeating: 0, count: fanOut))
        }
    }

    public init(sizes: [Int], weights: [[Float]], biases: [[Float]]) {
        self.sizes = sizes; self.weights = weights; self.biases = biases
    }

    /// Log-posteriors for `n` input rows (n × sizes[0]) → n × sizes.last.
    public func logPosteriors(_ input: [Float], rows n: Int) -> [Float] {
        var x = input
        for l in 0..<weights.count {
            let k = sizes[l], m = sizes[l + 1]
            var y = [Float](repeating: 0, count: n * m)
            x.withUnsafeBufferPointer { xp in
                weights[l].withUnsafeBufferPointer { wp in
                    y.withUnsafeMutableBufferPointer { yp in
                        Dense.matmul(xp.baseAddress!, wp.baseAddress!, yp.baseAddress!, n: n, k: k, m: m)
                    }
                }
            }
            let b = biases[l]
            let last = l == weights.count - 1
            y.withUnsafeMutableBufferPointer { yp in
                for i in 0..<n {
                    for j in 0..<m {
                        let v = yp[i * m + j] + b[j]
                        yp[i * m + j] = last ? v : max(v, 0)
                    }
                }
            }
            x = y
        }
        MLP.logSoftmaxRows(&x, rows: n, cols: sizes.last!)
        return x
    }

    static func logSoftmaxRows(_ x: inout [Float], rows n: Int, cols m: Int) {
        x.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                var mx = -Float.infinity
                for j in 0..<m { mx = max(mx, p[i * m + j]) }
                var s: Float = 0
                for j in 0..<m { s += expf(p[i * m + j] - mx) }
                let lse = mx + logf(s)
                for j in 0..<m { p[i * m + j] -= lse }
            }
        }
    }
}

/// Deterministic 64-bit generator (SplitMix64) for initialisation and shuffling.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    public mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
