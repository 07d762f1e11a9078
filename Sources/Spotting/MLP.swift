import CBLAS
import Foundation

/// Dense row-major matrix products for the acoustic model (inference and training), through
/// OpenBLAS `sgemm`. OpenBLAS picks its kernels for the CPU at run time (AVX-512, AVX2, SSE2), so
/// one binary runs everywhere; measured on the build machine it is ~10x the previous hand-written
/// SIMD8 loops (60 vs 6 G multiply-adds per second per core; BENCHMARKS.md). It runs on the
/// caller's thread only: the batch parallelises over files, not inside a product.
enum Dense {
    /// Set once before the first product: one BLAS thread per caller.
    static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// C[n×m] (+)= A[n×k] · B[k×m].
    static func matmul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                       n: Int, k: Int, m: Int, accumulate: Bool = false) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(m), Int32(k),
                    1, a, Int32(k), b, Int32(m), accumulate ? 1 : 0, c, Int32(m))
    }

    /// C[k×m] += Aᵀ · B for A[n×k], B[n×m] (weight gradients).
    static func matmulATB(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                          n: Int, k: Int, m: Int) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(m), Int32(n),
                    1, a, Int32(k), b, Int32(m), 1, c, Int32(m))
    }

    /// C[n×k] = A[n×m] · Bᵀ for B[k×m] (back-propagated errors).
    static func matmulABT(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                          n: Int, m: Int, k: Int) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(k), Int32(m),
                    1, a, Int32(m), b, Int32(m), 0, c, Int32(k))
    }
}

/// A feed-forward network: dense layers with ReLU between them, log-softmax at the end.
public struct MLP: Sendable, Equatable {
    /// Layer sizes, input first: [280, 192, 192, 61].
    public var sizes: [Int]
    /// weights[l] is sizes[l] × sizes[l+1], row-major; biases[l] has sizes[l+1].
    public var weights: [[Float]]
    public var biases: [[Float]]
    /// The output layer is split into consecutive softmax groups of these sizes (phones, then
    /// tones); their sum is sizes.last.
    public var heads: [Int]

    public var parameterCount: Int { weights.reduce(0) { $0 + $1.count } + biases.reduce(0) { $0 + $1.count } }

    /// He-uniform initialisation from a seeded generator (deterministic).
    public init(sizes: [Int], seed: UInt64, heads: [Int]? = nil) {
        self.sizes = sizes
        self.heads = heads ?? [sizes.last!]
        var rng = SplitMix64(seed: seed)
        weights = []; biases = []
        for l in 0..<(sizes.count - 1) {
            let fanIn = sizes[l], fanOut = sizes[l + 1]
            let limit = Float((6.0 / Double(fanIn)).squareRoot())
            weights.append((0..<(fanIn * fanOut)).map { _ in (rng.nextFloat() * 2 - 1) * limit })
            biases.append([Float](repeating: 0, count: fanOut))
        }
    }

    public init(sizes: [Int], weights: [[Float]], biases: [[Float]], heads: [Int]? = nil) {
        self.sizes = sizes; self.weights = weights; self.biases = biases
        self.heads = heads ?? [sizes.last!]
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
        MLP.logSoftmaxRows(&x, rows: n, cols: sizes.last!, heads: heads)
        return x
    }

    /// Log-softmax of each row, separately within each head's columns.
    static func logSoftmaxRows(_ x: inout [Float], rows n: Int, cols m: Int, heads: [Int]? = nil) {
        let groups = heads ?? [m]
        x.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                var lo = 0
                for g in groups {
                    let row = p.baseAddress! + i * m + lo
                    var mx = -Float.infinity
                    for j in 0..<g { mx = max(mx, row[j]) }
                    var s: Float = 0
                    for j in 0..<g { s += expf(row[j] - mx) }
                    let lse = mx + logf(s)
                    for j in 0..<g { row[j] -= lse }
                    lo += g
                }
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
