import CFFTW
import Foundation

/// Real-input FFT through FFTW (single precision).
///
/// FFTW's planner is not thread-safe, so plan creation is serialised by a global lock and
/// plans are cached per size for the process lifetime; execution uses the new-array
/// interface on buffers owned by each `RealFFT`, so many threads can each own one.
public final class RealFFT: @unchecked Sendable {
    public let size: Int
    private let plan: fftwf_plan
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<fftwf_complex>

    private static let lock = NSLock()
    nonisolated(unsafe) private static var plans: [Int: fftwf_plan] = [:]

    public init(size: Int) {
        precondition(size > 0)
        self.size = size
        input = fftwf_alloc_real(size)!
        output = fftwf_alloc_complex(size / 2 + 1)!
        RealFFT.lock.lock()
        if let p = RealFFT.plans[size] {
            plan = p
        } else {
            // FFTW_ESTIMATE does not touch the buffers; the plan is reused on any aligned buffers.
            let p = fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
            RealFFT.plans[size] = p
            plan = p
        }
        RealFFT.lock.unlock()
    }

    deinit {
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Buffer to fill with `size` real samples before calling `powerSpectrum`.
    public var inputBuffer: UnsafeMutablePointer<Float> { input }

    /// |X_k|² for k = 0 … size/2 into `out` (size/2 + 1 values).
    @inline(__always)
    public func powerSpectrum(into out: UnsafeMutablePointer<Float>) {
        fftwf_execute_dft_r2c(plan, input, output)
        let n = size / 2 + 1
        let raw = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
        for k in 0..<n {
            let re = raw[2 * k], im = raw[2 * k + 1]
            out[k] = re * re + im * im
        }
    }

    /// Magnitudes |X_k| for k = 0 … size/2.
    public func magnitudes(_ x: [Float]) -> [Float] {
        precondition(x.count <= size)
        for i in 0..<size { input[i] = i < x.count ? x[i] : 0 }
        var p = [Float](repeating: 0, count: size / 2 + 1)
        p.withUnsafeMutableBufferPointer { powerSpectrum(into: $0.baseAddress!) }
        return p.map { $0.squareRoot() }
    }
}
