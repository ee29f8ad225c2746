import Foundation

/// Go/no-go on the new checkout, judged from the sliding windows of both upstreams.
public enum GuardrailVerdict: Sendable, Equatable {
    /// Too few requests on new in the window to judge.
    case noVerdict
    case go
    case breach(String)
}

/// What the judge looks at: requests, errors and latency per upstream, conversions per variant.
public struct WindowPair: Sendable, Equatable {
    public var old: SlidingWindow.Summary
    public var new: SlidingWindow.Summary

    public init(old: SlidingWindow.Summary, new: SlidingWindow.Summary) {
        self.old = old
        self.new = new
    }
}

public enum GuardrailJudge {
    public static func verdict(_ guardrails: Guardrails, windows: WindowPair) -> GuardrailVerdict {
        let new = windows.new
        let old = windows.old
        let minimum = guardrails.minRequests
        guard new.requests >= minimum else { return .noVerdict }
        let windowText = "in the last \(describe(guardrails.window))"
        if new.errorRate > guardrails.maxErrorRate {
            return .breach(
                "error rate on new \(percent(new.errorRate)) > \(percent(guardrails.maxErrorRate)) (\(new.errors) of \(new.requests) requests \(windowText))"
            )
        }
        if old.requests >= minimum, let newP99 = new.p99Ms, let oldP99 = old.p99Ms, oldP99 > 0, newP99 / oldP99 > guardrails.maxP99Ratio {
            return .breach(
                "p99 latency new/old \(rounded(newP99 / oldP99)) > \(rounded(guardrails.maxP99Ratio)) (\(rounded(newP99)) ms vs \(rounded(oldP99)) ms \(windowText))"
            )
        }
        if let conversion = guardrails.conversion, new.conversionStarts >= minimum, old.conversionStarts >= minimum {
            let test = conversionTest(conversion, windows: windows)
            if test.isBreach(minRatio: conversion.minRatio, confidence: conversion.confidence), let ratio = test.ratio {
                return .breach(
                    "conversion new/old \(rounded(ratio)) < \(rounded(conversion.minRatio)) (new \(test.newDones) of \(test.newStarts) checkouts, old \(test.oldDones) of \(test.oldStarts) \(windowText); p = \(significant(test.pValue)) < \(significant(1 - conversion.confidence)))"
                )
            }
        }
        return .go
    }

    /// The conversion comparison of the windows, for the verdict and for `/status`.
    public static func conversionTest(_ conversion: Conversion, windows: WindowPair) -> ConversionTest {
        ConversionTest(
            newStarts: windows.new.conversionStarts, newDones: windows.new.conversionDones, oldStarts: windows.old.conversionStarts,
            oldDones: windows.old.conversionDones, minRatio: conversion.minRatio)
    }

    /// A probability with three significant digits (`0.000123`, `0.0421`).
    static func significant(_ value: Double) -> String {
        guard value > 0 else { return "0" }
        guard value < 0.001 else { return String((value * 10_000).rounded() / 10_000) }
        return String(format: "%.2e", value)
    }

    private static func percent(_ value: Double) -> String {
        "\(rounded(value * 100))%"
    }

    private static func rounded(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return scaled == scaled.rounded() ? String(Int(scaled)) : String(scaled)
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds % 3600 == 0 && seconds >= 3600 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 && seconds >= 60 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
