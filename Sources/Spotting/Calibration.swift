import Foundation

/// Per-keyword thresholds for a target false-alarm rate of the whole list, from the scores the
/// keywords reach on negative audio (speech that contains none of them).
///
/// The list's budget of `targetPerHour` false alarms is shared equally, or by `shares`: each of K
/// keywords may make `targetPerHour / K` per hour. With an hour or two of negative audio that is far less than
/// one observed false alarm per keyword, so the threshold cannot be read off the data (the old
/// rule "just above the highest negative score" allows about one per keyword per calibration
/// length, hundreds per hour for the list). The tail is extrapolated instead:
///
/// - Scores above `floor` are mapped to z = −ln(score) ∈ [0, z₀], z₀ = −ln(floor).
/// - The distribution of z over all keywords' negative hits is modelled as a truncated
///   exponential, density ∝ exp(γ·z) on [0, z₀] (rarer towards a perfect score); γ is shared by
///   all keywords (pooled maximum likelihood), because most keywords have only a few negative hits.
/// - Keyword k with n_k hits in H hours (n_k = 0 counts as `priorHits`) is expected to score at
///   z ≤ d at the rate (n_k / H) · (e^{γd} − 1) / (e^{γz₀} − 1); its threshold is the d where
///   that rate equals its budget, threshold = e^{−d}, never below the empirical rule (above its
///   highest negative score) when the budget allows less than one observed hit, and at most 1.
public enum ThresholdCalibrator {
    public struct Result: Sendable, Equatable {
        public var thresholds: [String: Double]
        /// The pooled tail shape γ (per unit of −ln score).
        public var gamma: Double
        /// Negative hits above the floor, all keywords.
        public var negativeHits: Int
    }

    /// `scores`: each keyword's hit scores (≥ floor) on `hours` of negative audio; every keyword
    /// in `keywords` gets a threshold.
    /// `shares`: a keyword's relative share of the budget (default 1): keyword k may make
    /// `targetPerHour · share_k / Σ shares` false alarms per hour. Hand-off cues, whose false
    /// alarms cost an emergency transfer, can take a smaller share than topic words, whose false
    /// alarms the triage model outvotes.
    public static func calibrate(keywords: [String], scores: [String: [Double]], hours: Double,
                                 targetPerHour: Double, floor: Double, priorHits: Double = 0.5,
                                 shares: [String: Double] = [:]) -> Result {
        precondition(floor > 0 && floor < 1 && hours > 0 && targetPerHour > 0)
        let z0 = -log(floor)
        let zs = keywords.flatMap { (scores[$0] ?? []).filter { $0 >= floor }.map { max(0, -log(min($0, 1))) } }
        let gamma = fitGamma(zs, z0: z0)
        let totalShare = keywords.reduce(0.0) { $0 + max(0, shares[$1] ?? 1) }
        var out: [String: Double] = [:]
        for k in keywords {
            // Per keyword, per hour (a zero share: nothing allowed beyond what the floor rule gives).
            let budget = max(1e-12, targetPerHour * max(0, shares[k] ?? 1) / max(totalShare, 1e-12))
            let s = (scores[k] ?? []).filter { $0 >= floor }
            let n = max(Double(s.count), priorHits)
            let rateAll = n / hours                                         // rate above the floor
            var d: Double
            if rateAll <= budget {
                d = z0
            } else {
                // (e^{γd} − 1) / (e^{γz₀} − 1) = budget / rateAll
                let f = budget / rateAll
                if abs(gamma) < 1e-9 { d = f * z0 } else { d = log1p(f * expm1(gamma * z0)) / gamma }
            }
            var t = exp(-max(0, min(z0, d)))
            // With less than one false alarm allowed in the calibration audio, the threshold must
            // also clear every score actually seen there.
            if budget * hours < 1, let top = s.max() { t = max(t, min(1, top + 0.005)) }
            out[k] = max(floor, min(1, t))
        }
        return Result(thresholds: out, gamma: gamma, negativeHits: zs.count)
    }

    /// One threshold for every keyword of a share group (keywords with equal `shares`), read off
    /// the negative scores: the lowest threshold at which the group makes at most its part of the
    /// budget (`targetPerHour` · its keywords' shares / all shares) in the negative audio. For a
    /// score that already carries each keyword's prior (`HitVerifier`), per-keyword thresholds
    /// would count the same record twice, and an hour of audio is too little to set them anyway.
    public static func uniform(keywords: [String], scores: [String: [Double]], hours: Double,
                               targetPerHour: Double, floor: Double, shares: [String: Double] = [:]) -> Result {
        precondition(floor > 0 && floor < 1 && hours > 0 && targetPerHour > 0)
        let totalShare = keywords.reduce(0.0) { $0 + max(0, shares[$1] ?? 1) }
        var groups: [Double: [String]] = [:]
        for k in keywords { groups[max(0, shares[k] ?? 1), default: []].append(k) }
        var out: [String: Double] = [:]
        var negatives = 0
        for (share, members) in groups {
            let budget = targetPerHour * share * Double(members.count) / max(totalShare, 1e-12)
            let s = members.flatMap { (scores[$0] ?? []).filter { $0 >= floor } }.sorted(by: >)
            negatives += s.count
            let allowed = Int((budget * hours).rounded(.down))
            // Above the (allowed+1)-th highest score: at most `allowed` negatives pass.
            let t = allowed < s.count ? min(1, s[allowed] + 1e-4) : floor
            for k in members { out[k] = max(floor, t) }
        }
        return Result(thresholds: out, gamma: 0, negativeHits: negatives)
    }

    /// Maximum-likelihood γ of the density γ·e^{γz} / (e^{γz₀} − 1) on [0, z₀]: the mean of z under
    /// that density increases with γ, so solve mean(γ) = sample mean by bisection.
    static func fitGamma(_ zs: [Double], z0: Double) -> Double {
        guard zs.count >= 2 else { return 0 }
        let m = zs.reduce(0, +) / Double(zs.count)
        func mean(_ g: Double) -> Double {
            if abs(g) < 1e-6 { return z0 / 2 }
            // E[z] = z₀·e^{γz₀}/(e^{γz₀} − 1) − 1/γ
            let e = expm1(g * z0)
            return z0 * (e + 1) / e - 1 / g
        }
        var lo = -200.0 / z0, hi = 200.0 / z0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mean(mid) < m { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}
