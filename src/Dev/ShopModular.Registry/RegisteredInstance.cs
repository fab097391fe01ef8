using System.Text.Json.Nodes;

namespace ShopModular.Registry;

/// <summary>One registration and its lease, as the registry holds it. Times are Unix milliseconds, as on the wire.</summary>
public sealed class RegisteredInstance
{
    public required string App { get; init; }

    public required string InstanceId { get; init; }

    /// <summary>The instance as the client sent it (normalised); written back with the registry's own lease fields.</summary>
    public required JsonObject Info { get; set; }

    public required string Status { get; set; }

    /// <summary>The status an operator set (PUT …/status), which wins over what the client reports; UNKNOWN when none.</summary>
    public string OverriddenStatus { get; set; } = "UNKNOWN";

    public bool HasOverride => OverriddenStatus != "UNKNOWN";

    public required long LastDirtyTimestamp { get; set; }

    public required int LeaseDurationSeconds { get; set; }

    public required int RenewalIntervalSeconds { get; set; }

    public required long RegistrationTimestamp { get; set; }

    public required long LastRenewalTimestamp { get; set; }

    public long LastUpdatedTimestamp { get; set; }

    // ToString rather than GetValue<string>: whatever JSON type a field has, reading it never throws.
    public string? VipAddress => (Info["vipAddress"] as JsonValue)?.ToString();

    public string? SecureVipAddress => (Info["secureVipAddress"] as JsonValue)?.ToString();

    public bool HasExpired(long now, bool afterTwiceTheLease) =>
        now > LastRenewalTimestamp + (LeaseDurationSeconds * 1000L * (afterTwiceTheLease ? 2 : 1));

    /// <summary>The instance as it goes on the wire: what the client sent, with the registry's lease and bookkeeping.</summary>
    public JsonObject ToWire(string actionType)
    {
        var wire = (JsonObject)Info.DeepClone();
        wire["status"] = Status;
        wire["overriddenStatus"] = OverriddenStatus;
        wire["leaseInfo"] = new JsonObject
        {
            ["renewalIntervalInSecs"] = RenewalIntervalSeconds,
            ["durationInSecs"] = LeaseDurationSeconds,
            ["registrationTimestamp"] = RegistrationTimestamp,
            ["lastRenewalTimestamp"] = LastRenewalTimestamp,
            ["evictionTimestamp"] = 0,
            ["serviceUpTimestamp"] = RegistrationTimestamp,
        };
        wire["lastUpdatedTimestamp"] = LastUpdatedTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        wire["lastDirtyTimestamp"] = LastDirtyTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        wire["actionType"] = actionType;
        return wire;
    }
}
