using System.Text;

namespace ShopModular.ServiceDefaults.Security;

/// <summary>
/// HTTP Basic credentials as our clients send them, given in a server URL's userinfo
/// (<c>http://user:password@host/</c>, Steeltoe's and Spring's convention): they go in a header rather than in the
/// URL, so that no message that names the server shows them.
/// </summary>
internal static class BasicAuthentication
{
    /// <summary>The user and password of <paramref name="url"/>'s userinfo; null for a part it does not have.</summary>
    public static (string? UserName, string? Password) FromUserInfo(Uri url)
    {
        if (url.UserInfo.Length == 0)
        {
            return (null, null);
        }

        // The userinfo is percent-encoded (a password may hold ':' or '@'); Basic wants it decoded.
        var separator = url.UserInfo.IndexOf(':', StringComparison.Ordinal);
        return separator < 0
            ? (Uri.UnescapeDataString(url.UserInfo), null)
            : (Uri.UnescapeDataString(url.UserInfo[..separator]), Uri.UnescapeDataString(url.UserInfo[(separator + 1)..]));
    }

    public static Uri WithoutUserInfo(Uri url) => new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri;

    /// <summary>The parameter of a Basic <c>Authorization</c> header: <c>user:password</c> in base64 (a missing part as empty).</summary>
    public static string HeaderParameter(string? userName, string? password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{userName}:{password}"));
}
