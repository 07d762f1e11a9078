import Foundation
import Spotting
import XCTest

/// Threshold calibration to a target false-alarm rate, on constructed negative scores.
final class CalibrationTests: XCTestCase {
    let floor = exp(-1.0)          // z₀ = 1

    func testKeywordWithoutNegativeHitsWithinBudgetKeepsTheFloor() {
        // 2 keywords, 1 FA/h for the list → 0.5 per keyword per hour; no hits counts as 0.5 → within budget.
        let r = ThresholdCalibrator.calibrate(keywords: ["a", "b"], scores: [:], hours: 1, targetPerHour: 1, floor: floor)
        XCTAssertEqual(r.thresholds["a"]!, floor, accuracy: 1e-12)
        XCTAssertEqual(r.thresholds["b"]!, floor, accuracy: 1e-12)
        XCTAssertEqual(r.negativeHits, 0)
        XCTAssertEqual(r.gamma, 0)
    }

    func testFlatTailGivesLinearExtrapolation() {
        // z = −ln(score) spread evenly over [0, 1] (mean ½) → γ ≈ 0: P(z ≤ d) = d.
        // 10 hits in 1 h, budget 0.5/h → d = 0.05 → threshold e^−0.05.
        let zs = [0.1, 0.3, 0.5, 0.7, 0.9, 0.1, 0.3, 0.5, 0.7, 0.9]
        let r = ThresholdCalibrator.calibrate(keywords: ["a", "b"], scores: ["a": zs.map { exp(-$0) }],
                                              hours: 1, targetPerHour: 1, floor: floor)
        XCTAssertEqual(r.gamma, 0, accuracy: 1e-6)
        XCTAssertEqual(r.negativeHits, 10)
        XCTAssertEqual(r.thresholds["a"]!, exp(-0.05), accuracy: 1e-6)
        XCTAssertEqual(r.thresholds["b"]!, floor, accuracy: 1e-12)
    }

    func testThresholdAlwaysClearsTheHighestNegativeScoreWhenBudgetIsBelowOneHit() {
        // One hit at 0.99: extrapolation alone would allow it; the observed score must be cleared.
        let r = ThresholdCalibrator.calibrate(keywords: ["a", "b", "c", "d"], scores: ["a": [0.99, 0.5, 0.45, 0.4]],
                                              hours: 1, targetPerHour: 0.4, floor: floor)
        XCTAssertEqual(r.thresholds["a"]!, 0.995, accuracy: 1e-9)
        // A perfect negative score caps the threshold at 1.
        let p = ThresholdCalibrator.calibrate(keywords: ["a"], scores: ["a": [1.0]], hours: 1, targetPerHour: 0.1, floor: floor)
        XCTAssertEqual(p.thresholds["a"]!, 1.0)
    }

    func testSharesSplitTheBudget() {
        // Flat tail (γ = 0), 10 hits each in 1 h, list budget 2/h. Shares 1 : 3 → budgets 0.5 and
        // 1.5 per hour → d = 0.05 and 0.15 (P(z ≤ d) = d).
        let zs = [0.1, 0.3, 0.5, 0.7, 0.9, 0.1, 0.3, 0.5, 0.7, 0.9].map { exp(-$0) }
        let r = ThresholdCalibrator.calibrate(keywords: ["cue", "word"], scores: ["cue": zs, "word": zs], hours: 1,
                                              targetPerHour: 2, floor: floor, shares: ["cue": 1, "word": 3])
        XCTAssertEqual(r.thresholds["cue"]!, exp(-0.05), accuracy: 1e-6)
        XCTAssertEqual(r.thresholds["word"]!, exp(-0.15), accuracy: 1e-6)
        // Equal shares are the default split.
        let e = ThresholdCalibrator.calibrate(keywords: ["cue", "word"], scores: ["cue": zs, "word": zs], hours: 1,
                                              targetPerHour: 2, floor: floor)
        XCTAssertEqual(e.thresholds["cue"]!, exp(-0.1), accuracy: 1e-6)
        XCTAssertEqual(e.thresholds, ThresholdCalibrator.calibrate(keywords: ["cue", "word"], scores: ["cue": zs, "word": zs], hours: 1,
                                                                   targetPerHour: 2, floor: floor, shares: ["cue": 2, "word": 2]).thresholds)
    }

    func testMoreNegativeHitsOrATighterBudgetRaiseTheThreshold() {
        let few = (0..<4).map { exp(-0.2 - 0.2 * Double($0)) }
        let many = few + few + few
        let r = ThresholdCalibrator.calibrate(keywords: ["few", "many"], scores: ["few": few, "many": many],
                                              hours: 10, targetPerHour: 2, floor: floor)
        XCTAssertGreaterThan(r.thresholds["many"]!, r.thresholds["few"]!)
        let tight = ThresholdCalibrator.calibrate(keywords: ["few", "many"], scores: ["few": few, "many": many],
                                                  hours: 10, targetPerHour: 0.2, floor: floor)
        XCTAssertGreaterThan(tight.thresholds["few"]!, r.thresholds["few"]!)
        for t in Array(r.thresholds.values) + Array(tight.thresholds.values) { XCTAssert(t >= floor && t <= 1) }
    }

    func testSkewedTailFitsPositiveGamma() {
        // Most negative scores near the floor (large z) → density rising with z → γ > 0.
        let zs = [0.95, 0.9, 0.92, 0.85, 0.97, 0.8, 0.99, 0.6]
        let r = ThresholdCalibrator.calibrate(keywords: ["a"], scores: ["a": zs.map { exp(-$0) }], hours: 1,
                                              targetPerHour: 100, floor: floor)
        XCTAssertGreaterThan(r.gamma, 1)
    }
}

final class UniformCalibrationTests: XCTestCase {
    func testOneThresholdPerShareGroupFromTheNegativeScores() {
        // 2 h of negatives, 4 keywords, target 3/h: the group {a, b, c} (share 1) may make
        // 3 · 3/3.5 · 2 h = 5.14 → 5 false alarms; d (share 0.5) 3 · 0.5/3.5 · 2 = 0.86 → 0.
        let scores: [String: [Double]] = ["a": [0.9, 0.8, 0.7, 0.05], "b": [0.6, 0.5, 0.4], "c": [], "d": [0.3, 0.2]]
        let r = ThresholdCalibrator.uniform(keywords: ["a", "b", "c", "d"], scores: scores, hours: 2, targetPerHour: 3,
                                            floor: 0.1, shares: ["d": 0.5])
        // Group scores ≥ floor, descending: 0.9 0.8 0.7 0.6 0.5 | 0.4 → above the 6th highest.
        for k in ["a", "b", "c"] { XCTAssertEqual(r.thresholds[k]!, 0.4001, accuracy: 1e-9) }
        XCTAssertEqual(r.thresholds["d"]!, 0.3001, accuracy: 1e-9, "no false alarm allowed: above its best")
        XCTAssertEqual(r.negativeHits, 8)
        // A budget larger than the hits seen: the floor.
        let loose = ThresholdCalibrator.uniform(keywords: ["a"], scores: scores, hours: 2, targetPerHour: 100, floor: 0.1)
        XCTAssertEqual(loose.thresholds["a"]!, 0.1)
    }
}
