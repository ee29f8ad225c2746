import Foundation

/// The whole of `gateway.yaml` (version 1) as typed values with the documented defaults.
///
/// A value of this type has passed validation: every URL parsed, every number in range. The
/// running gateway swaps whole values, so a request never sees half of an edit.
public struct GatewayConfig: Sendable, Equatable {
    public var listen: HostPort = HostPort(host: "0.0.0.0", port: 8080)
    public var admin = AdminConfig()
    public var upstreams: Upstreams
    public var routes: [Route] = []
    public var flag: FlagConfig
    public var fallback = FallbackConfig()
    public var schedule: Schedule?
    public var guardrails: Guardrails?
    public var limits = Limits()
    public var stateFile = "./gateway-state.json"
    /// `state.etcd`: the fleet's rollout state in etcd instead of `state_file`.
    public var etcd: EtcdConfig?
    public var accessLog = true
    /// Webhooks told about the rollout's events (sent by the ramp leader).
    public var notify: [NotifyTarget] = []
    /// Mirroring of safe requests of shoppers served by old to new.
    public var shadow: ShadowConfig?
    /// OpenTelemetry traces (`tracing`); the `OTEL_*` variables can also turn them on.
    public var tracing: TracingConfig?

    public init(upstreams: Upstreams, flag: FlagConfig) {
        self.upstreams = upstreams
        self.flag = flag
    }
}

public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public struct AdminConfig: Sendable, Equatable {
    public var listen = HostPort(host: "127.0.0.1", port: 9901)
    public var tokenEnv = "GATEWAY_ADMIN_TOKEN"
    public init() {}
}

public struct Upstreams: Sendable, Equatable {
    public var old: UpstreamConfig
    public var new: UpstreamConfig

    public init(old: UpstreamConfig, new: UpstreamConfig) {
        self.old = old
        self.new = new
    }

    public subscript(variant: Variant) -> UpstreamConfig {
        switch variant {
        case .old: old
        case .new: new
        }
    }
}

public struct UpstreamConfig: Sendable, Equatable {
    public var url: UpstreamURL
    public var connectTimeout: Duration
    public var timeout: Duration
    public var maxConnections: Int

    public init(url: UpstreamURL, connectTimeout: Duration, timeout: Duration, maxConnections: Int = 64) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxConnections = maxConnections
    }

    public static func oldDefaults(url: UpstreamURL) -> UpstreamConfig {
        UpstreamConfig(url: url, connectTimeout: .milliseconds(500), timeout: .seconds(10))
    }

    public static func newDefaults(url: UpstreamURL) -> UpstreamConfig {
        UpstreamConfig(url: url, connectTimeout: .milliseconds(250), timeout: .seconds(3))
    }
}

/// The two checkouts; `old` is the safe one every fallback goes to.
public enum Variant: String, Sendable, Hashable, CaseIterable {
    case old
    case new
}

public struct FlagConfig: Sendable, Equatable {
    public var key: String
    public var groupID: String
    public var enabled = false
    public var percent = 0
    public var identity: [IdentitySource] = [.header("X-User-Id"), .cookie("uid")]
    public var anonymousCookie = AnonymousCookie()
    public var targeting: [TargetingRule] = []
    public var publicOFREP = false
    public var testOverride: TestOverride?
    /// How long a shopper who started a checkout on new keeps new when the percent goes down
    /// (the signed `gw_pin` cookie), unless they finish sooner.
    /// Zero turns pinning off.
    public var pinTTL: Duration = .seconds(30 * 60)

    public init(key: String, groupID: String? = nil) {
        self.key = key
        self.groupID = groupID ?? key
    }
}

public enum IdentitySource: Sendable, Hashable {
    case header(String)
    case cookie(String)
}

public struct AnonymousCookie: Sendable, Equatable {
    public var name = "gw_uid"
    public var maxAge: Duration = .seconds(30 * 86_400)
    public var secure = false
    public init() {}
}

/// A targeting rule matches when every condition it names holds.
public struct TargetingRule: Sendable, Equatable {
    public var variant: Variant
    public var users: Set<String>?
    public var header: HeaderCondition?

    public init(variant: Variant, users: Set<String>? = nil, header: HeaderCondition? = nil) {
        self.variant = variant
        self.users = users
        self.header = header
    }
}

public struct HeaderCondition: Sendable, Equatable {
    public var name: String
    public var equals: String

    public init(name: String, equals: String) {
        self.name = name
        self.equals = equals
    }
}

public struct TestOverride: Sendable, Equatable {
    public var header = "X-Checkout-Force"
    public var tokenEnv = "GATEWAY_TEST_TOKEN"
    public init() {}
}

public struct FallbackConfig: Sendable, Equatable {
    public var on: Set<FallbackTrigger> = Set(FallbackTrigger.allCases)
    public var unsafeMethods: UnsafeMethodPolicy = .idempotencyKey
    public var idempotencyHeader = "Idempotency-Key"
    public init() {}
}

public enum FallbackTrigger: String, Sendable, Hashable, CaseIterable {
    case status5xx = "5xx"
    case timeout
    case connectError = "connect_error"
}

/// When a non-idempotent request (a checkout POST) may be replayed to old after new failed.
public enum UnsafeMethodPolicy: String, Sendable, Hashable, CaseIterable {
    case idempotencyKey = "idempotency_key"
    case always
    case never
}

public struct Schedule: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public var percent: Int
        public var hold: Duration?
        /// Leaving this step needs an operator's `promote` besides the hold and a go from the
        /// guardrails (an approval gate). Not part of the schedule's fingerprint: adding a gate
        /// to a running schedule keeps its position.
        public var approve: Bool
        /// A step where shoppers stay on old while their safe requests are mirrored to new
        /// (`shadow`), so the guardrails judge new before anyone sees it.
        public var shadow: Bool

        public init(percent: Int, hold: Duration?, approve: Bool = false, shadow: Bool = false) {
            self.percent = percent
            self.hold = hold
            self.approve = approve
            self.shadow = shadow
        }
    }

    public var start: Date
    public var steps: [Step]

    public init(start: Date, steps: [Step]) {
        self.start = start
        self.steps = steps
    }
}

public struct Guardrails: Sendable, Equatable {
    public var window: Duration = .seconds(300)
    public var minRequests = 100
    public var maxErrorRate = 0.02
    public var maxP99Ratio = 2.0
    public var conversion: Conversion?
    /// Extra go/no-go checks asked of a Prometheus.
    public var prometheus: PrometheusChecks?
    public var action: GuardrailAction = .rollback
    public init() {}
}

public struct Conversion: Sendable, Equatable {
    public var start: RequestMatch
    public var done: RequestMatch
    public var minRatio = 0.9
    /// How sure the judge must be that new's conversion is below `min_ratio` of old's before it
    /// calls a breach: a one-sided test at this confidence, so noise alone does not roll back.
    public var confidence = 0.95

    public init(start: RequestMatch, done: RequestMatch) {
        self.start = start
        self.done = done
    }
}

/// A path prefix with one method, as conversion steps name them.
public struct RequestMatch: Sendable, Equatable {
    public var pathPrefix: String
    public var method: String?

    public init(pathPrefix: String, method: String?) {
        self.pathPrefix = pathPrefix
        self.method = method
    }
}

public enum GuardrailAction: String, Sendable, Hashable, CaseIterable {
    case rollback
    case pause
}

public struct Limits: Sendable, Equatable {
    public var maxRequestBody = 1 << 20
    public var maxHeaderBytes = 32 << 10
    public var maxURIBytes = 8 << 10
    public var headerReadTimeout: Duration = .seconds(10)
    /// A request body must arrive whole within this time after its head: a client that stalls
    /// mid-body gets 408 instead of pinning a connection.
    public var bodyReadTimeout: Duration = .seconds(30)
    public var idleTimeout: Duration = .seconds(60)
    public var maxConnections = 10_000
    public init() {}

    /// What a client connection enforces of these.
    public var connection: ConnectionStateMachine.Limits {
        ConnectionStateMachine.Limits(
            maxRequestBody: maxRequestBody, maxHeaderBytes: maxHeaderBytes, maxURIBytes: maxURIBytes,
            headerReadTimeout: UInt64(max(0, headerReadTimeout.milliseconds)) * 1_000_000,
            bodyReadTimeout: UInt64(max(0, bodyReadTimeout.milliseconds)) * 1_000_000,
            idleTimeout: UInt64(max(0, idleTimeout.milliseconds)) * 1_000_000)
    }
}
