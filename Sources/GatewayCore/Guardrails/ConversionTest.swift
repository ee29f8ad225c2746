import Foundation

/// Is new's conversion rate below `min_ratio` of old's, beyond what chance explains?
///
/// A one-sided Wald test of a ratio margin (the non-inferiority test of two proportions):
/// with conversion rates p = dones / starts,
///
///     H0: p_new ≥ r · p_old    against    H1: p_new < r · p_old
///     z  = (p_new − r · p_old) / √(p_new(1 − p_new)/n_new + r² · p_old(1 − p_old)/n_old)
///
/// and the p-value is Φ(z). A breach needs both the observed ratio below `r` and a p-value below
/// 1 − confidence: a small window that happens to convert worse does not roll a ramp back.
public struct ConversionTest: Sendable, Equatable {
    public var newStarts: Int
    public var newDones: Int
    public var oldStarts: Int
    public var oldDones: Int
    /// (new dones / starts) ÷ (old dones / starts); nil when old converted nothing.
    public var ratio: Double?
    /// One-sided p-value of "new converts at least `minRatio` of old".
    public var pValue: Double

    public init(newStarts: Int, newDones: Int, oldStarts: Int, oldDones: Int, minRatio: Double) {
        self.newStarts = newStarts
        self.newDones = newDones
        self.oldStarts = oldStarts
        self.oldDones = oldDones
        // A done without its start (a start before the window) must not give a rate above 1.
        let newRate = newStarts > 0 ? min(1, Double(newDones) / Double(newStarts)) : 0
        let oldRate = oldStarts > 0 ? min(1, Double(oldDones) / Double(oldStarts)) : 0
        ratio = oldRate > 0 ? newRate / oldRate : nil
        let difference = newRate - minRatio * oldRate
        let variance =
            (newStarts > 0 ? newRate * (1 - newRate) / Double(newStarts) : 0)
            + (oldStarts > 0 ? minRatio * minRatio * oldRate * (1 - oldRate) / Double(oldStarts) : 0)
        if variance > 0 {
            pValue = Self.normalCDF(difference / variance.squareRoot())
        } else {
            // Every start converted, or none did, on both sides: no spread, the sign decides.
            pValue = difference < 0 ? 0 : 1
        }
    }

    /// Whether this is a breach at `confidence` (e.g. 0.95) and margin `minRatio`.
    public func isBreach(minRatio: Double, confidence: Double) -> Bool {
        guard let ratio else { return false }
        return ratio < minRatio && pValue < 1 - confidence
    }

    /// Φ, the standard normal distribution function.
    public static func normalCDF(_ z: Double) -> Double {
        0.5 * erfc(-z / 2.0.squareRoot())
    }
}
