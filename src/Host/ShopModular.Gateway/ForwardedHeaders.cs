using Yarp.ReverseProxy.Forwarder;

namespace ShopModular.Gateway;

/// <summary>
/// The <c>X-Forwarded-*</c> headers a backend gets are the gateway's own: what the client sent under those names (and
/// <c>Forwarded</c>) is dropped, since anyone can write them, and the gateway states the address it saw, the scheme
/// and the host the client used.
/// </summary>
public static class ForwardedHeaders
{
    private static readonly string[] ClientSupplied = ["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP", "Forwarded"];

    public static HttpTransformer Transformer { get; } = new OwnForwardedHeaders();

    private sealed class OwnForwardedHeaders : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            foreach (var header in ClientSupplied)
            {
                proxyRequest.Headers.Remove(header);
            }

            if (httpContext.Connection.RemoteIpAddress is { } client)
            {
                proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", (client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client).ToString());
            }

            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            if (httpContext.Request.Host.HasValue)
            {
                proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
            }
        }
    }
}
