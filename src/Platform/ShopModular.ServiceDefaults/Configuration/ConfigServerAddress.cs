using ShopModular.ServiceDefaults.Security;

namespace ShopModular.ServiceDefaults.Configuration;

/// <summary>One config server: its URL without userinfo, and the Basic credentials to send it (null: none).</summary>
internal sealed record ConfigServerAddress(Uri Url, string? BasicCredentials)
{
    /// <summary>The server at <paramref name="uri"/>; <paramref name="userName"/> and <paramref name="password"/>, when given, win over its userinfo.</summary>
    public static ConfigServerAddress From(Uri uri, string? userName, string? password)
    {
        var (infoUser, infoPassword) = BasicAuthentication.FromUserInfo(uri);
        return new ConfigServerAddress(BasicAuthentication.WithoutUserInfo(uri), Basic(
            string.IsNullOrEmpty(userName) ? infoUser : userName,
            string.IsNullOrEmpty(password) ? infoPassword : password));
    }

    /// <summary>The Basic header value, when there is a password (Steeltoe sends none without one).</summary>
    public static string? Basic(string? userName, string? password) =>
        string.IsNullOrEmpty(password) ? null : BasicAuthentication.HeaderParameter(userName, password);

    /// <summary>The URL only: credentials stay out of messages.</summary>
    public override string ToString() => Url.ToString();
}
