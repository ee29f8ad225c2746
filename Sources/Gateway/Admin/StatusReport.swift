import Foundation

/// The JSON of `GET /status`: what ops check after an edit, a kill or a guardrail event.
/// `checkout-gateway status` decodes the same type.
public struct StatusReport: Codable, Sendable {
    public struct ConfigPart: Codable, Sendable {
        public var path: String?
        public var sha256: String
        public var loadedAt: Date
        public var lastError: String?

        enum CodingKeys: String, CodingKey {
            case path, sha256
            case loadedAt = "loaded_at"
            case lastError = "last_error"
        }
    }

    public struct FlagPart: Codable, Sendable {
        public var key: String
        public var enabled: Bool
        public var percentConfigured: Int
        public var percentEffective: Int
        public var killed: Bool
        public var killedAt: Date?
        /// Set when the gateway killed itself (an unreadable state file), not an operator.
        public var killReason: String?
        public var killedBy: String?
        public var latched: Bool
        public var latchReason: String?
        public var latchedAt: Date?
        public var latchedBy: String?
        /// The fleet replica has never read the rollout state: everyone gets old.
        public var stateUnknown: Bool?

        enum CodingKeys: String, CodingKey {
            case key, enabled, killed, latched
            case percentConfigured = "percent_configured"
            case percentEffective = "percent_effective"
            case killedAt = "killed_at"
            case killReason = "kill_reason"
            case killedBy = "killed_by"
            case latchReason = "latch_reason"
            case latchedAt = "latched_at"
            case latchedBy = "latched_by"
            case stateUnknown = "state_unknown"
        }
    }

    public struct SchedulePart: Codable, Sendable {
        /// 1-based; nil before the schedule's start.
        public var step: Int?
        public var steps: Int
        public var percent: Int
        public var enteredAt: Date?
        public var nextStepAt: Date?
        /// The current step is an approval gate: leaving it needs a promote.
        public var approve: Bool?
        /// Ready to leave (hold over, guardrails go) and waiting for a promote since then.
        public var awaitingApprovalSince: Date?
        public var approvedBy: String?
        public var approvedAt: Date?
        /// The last smoke test reported for this step.
        public var smokePassed: Bool?
        public var smokeAt: Date?
        public var smokeSummary: String?
        /// Every step of the schedule, for a timeline (the console's).
        public var plan: [StepPart]? = nil

        public struct StepPart: Codable, Sendable {
            public var percent: Int
            public var holdSeconds: Double?
            public var approve: Bool
            public var shadow: Bool

            enum CodingKeys: String, CodingKey {
                case percent, approve, shadow
                case holdSeconds = "hold_seconds"
            }
        }

        enum CodingKeys: String, CodingKey {
            case step, steps, percent, approve, plan
            case smokePassed = "smoke_passed"
            case smokeAt = "smoke_at"
            case smokeSummary = "smoke_summary"
            case enteredAt = "entered_at"
            case nextStepAt = "next_step_at"
            case awaitingApprovalSince = "awaiting_approval_since"
            case approvedBy = "approved_by"
            case approvedAt = "approved_at"
        }
    }

    public struct GuardrailPart: Codable, Sendable {
        /// `no_verdict` (too few requests on new), `go` or `breach`.
        public var verdict: String
        public var reason: String?
        public var action: String
        /// With `guardrails.conversion`: the comparison the judge makes, on the windows it judged.
        public var conversion: ConversionPart?
        /// With `guardrails.prometheus`: the checks' own verdict (`go`, `no_verdict`, `breach`) and why.
        public var prometheus: PrometheusPart?
    }

    public struct PrometheusPart: Codable, Sendable {
        public var verdict: String
        public var reason: String?
    }

    /// New's conversion against old's: counts, the ratio, and the one-sided test's p-value
    /// against `min_ratio` (a breach needs `ratio < min_ratio` and `p_value < 1 - confidence`).
    public struct ConversionPart: Codable, Sendable {
        public var newStarts: Int
        public var newDones: Int
        public var oldStarts: Int
        public var oldDones: Int
        public var ratio: Double?
        public var pValue: Double
        public var minRatio: Double
        public var confidence: Double
        /// Both variants had `min_requests` checkout starts in the window, so the check applies.
        public var judged: Bool?

        enum CodingKeys: String, CodingKey {
            case judged
            case newStarts = "new_starts"
            case newDones = "new_dones"
            case oldStarts = "old_starts"
            case oldDones = "old_dones"
            case ratio
            case pValue = "p_value"
            case minRatio = "min_ratio"
            case confidence
        }
    }

    public struct WindowPart: Codable, Sendable {
        public var requests: Int
        public var errors: Int
        public var errorRate: Double
        public var p50Ms: Double?
        public var p99Ms: Double?
        /// With `guardrails.conversion`: checkouts started and ended in an order, per serving variant.
        public var conversionStarts: Int?
        public var conversionDones: Int?

        enum CodingKeys: String, CodingKey {
            case requests, errors
            case errorRate = "error_rate"
            case p50Ms = "p50_ms"
            case p99Ms = "p99_ms"
            case conversionStarts = "conversion_starts"
            case conversionDones = "conversion_dones"
        }
    }

    /// Where the rollout state lives and, with etcd, the fleet.
    public struct FleetPart: Codable, Sendable {
        public struct Replica: Codable, Sendable {
            public var id: String
            public var version: String
            public var configSHA256: String
            public var revision: Int64
            public var startedAt: Date

            enum CodingKeys: String, CodingKey {
                case id, version, revision
                case configSHA256 = "config_sha256"
                case startedAt = "started_at"
            }
        }

        /// `file` or `etcd`.
        public var store: String
        public var storeUp: Bool
        /// The store revision of the state this replica has (etcd).
        public var revision: Int64
        public var leader: String?
        public var thisReplica: String
        public var leading: Bool
        public var replicas: [Replica]
        /// Distinct config hashes among the live replicas: two mean a config rollout is under way.
        public var configHashes: [String]

        enum CodingKeys: String, CodingKey {
            case store, revision, leader, leading, replicas
            case storeUp = "store_up"
            case thisReplica = "this_replica"
            case configHashes = "config_hashes"
        }
    }

    /// One of the rollout's recent events (`EventTrail`).
    public struct EventPart: Codable, Sendable {
        /// A `notify` event name: `kill`, `resume`, `latch`, `breach`, `step`, `approval`, …
        public var event: String
        public var message: String
        public var at: Date
    }

    public var config: ConfigPart
    public var flag: FlagPart
    public var fleet: FleetPart?
    public var schedule: SchedulePart?
    public var guardrails: GuardrailPart?
    /// Per upstream (`old`, `new`) over `guardrails.window` (5m without guardrails).
    public var window: [String: WindowPart]
    public var windowSeconds: Int
    public var draining: Bool
    public var startedAt: Date
    public var version: String
    /// The rollout's recent events on this replica, newest first.
    public var events: [EventPart]?

    enum CodingKeys: String, CodingKey {
        case config, flag, fleet, schedule, guardrails, window, draining, version, events
        case windowSeconds = "window_seconds"
        case startedAt = "started_at"
    }

    public static func decode(_ data: Data) throws -> StatusReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(StatusReport.self, from: data)
    }

    public func encoded() -> [UInt8] {
        AdminJSON.encode(self)
    }
}

/// The gateway's version, reported in `/status`.
public enum GatewayVersion {
    public static let current = "0.3.0"
}
