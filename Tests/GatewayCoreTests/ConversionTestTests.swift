import Foundation
import GatewayCore
import Testing

/// The conversion check against known values: Φ at the textbook quantiles, and z and p of
/// worked tables (z = (p_new − r·p_old) / √(p_new(1−p_new)/n_new + r²·p_old(1−p_old)/n_old)).
@Suite("Conversion test (statistics)", .timeLimit(.minutes(1)))
struct ConversionTestTests {
    @Test(arguments: [(-1.6448536, 0.05), (-2.3263479, 0.01), (0.0, 0.5), (1.9599640, 0.975), (-3.0902323, 0.001)])
    func normalDistributionAtKnownQuantiles(z: Double, probability: Double) {
        #expect(abs(ConversionTest.normalCDF(z) - probability) < 1e-6)
    }

    /// (new starts, new dones, old starts, old dones, min ratio, p-value, breach at 0.95)
    @Test(arguments: [
        // 40% vs 50%: ratio 0.8 < 0.9, z = −0.05 / 0.021036 = −2.3769: significant.
        (1000, 400, 1000, 500, 0.9, 0.0087291, true),
        // The same rates on a tenth of the traffic: z = −0.7516, p = 0.226: noise, no breach.
        (100, 40, 100, 50, 0.9, 0.2261320, false),
        // 43% vs 50%: ratio 0.86 < 0.9 but z = −1.3369, p = 0.0906: not sure enough at 95%.
        (2000, 860, 2000, 1000, 0.9, 0.0906271, false),
        // New converts better: p near 1, never a breach.
        (1000, 550, 1000, 500, 0.9, 0.9999988, false),
    ])
    func workedTables(newStarts: Int, newDones: Int, oldStarts: Int, oldDones: Int, minRatio: Double, pValue: Double, breach: Bool) {
        let test = ConversionTest(newStarts: newStarts, newDones: newDones, oldStarts: oldStarts, oldDones: oldDones, minRatio: minRatio)
        #expect(abs(test.pValue - pValue) < 1e-6, "p = \(test.pValue)")
        #expect(test.isBreach(minRatio: minRatio, confidence: 0.95) == breach)
    }

    @Test func aLowerConfidenceCallsTheBorderlineTableABreach() {
        let test = ConversionTest(newStarts: 2000, newDones: 860, oldStarts: 2000, oldDones: 1000, minRatio: 0.9)
        #expect(test.isBreach(minRatio: 0.9, confidence: 0.9))
    }

    @Test func degenerateTables() {
        let none = ConversionTest(newStarts: 200, newDones: 0, oldStarts: 200, oldDones: 0, minRatio: 0.9)
        #expect(none.ratio == nil && !none.isBreach(minRatio: 0.9, confidence: 0.95), "old converted nothing: nothing to compare")
        let allVersusNone = ConversionTest(newStarts: 200, newDones: 0, oldStarts: 200, oldDones: 200, minRatio: 0.9)
        #expect(allVersusNone.pValue == 0 && allVersusNone.isBreach(minRatio: 0.9, confidence: 0.95))
        let moreDonesThanStarts = ConversionTest(newStarts: 100, newDones: 150, oldStarts: 100, oldDones: 50, minRatio: 0.9)
        #expect(moreDonesThanStarts.ratio == 2, "a rate is capped at 1")
    }
}
