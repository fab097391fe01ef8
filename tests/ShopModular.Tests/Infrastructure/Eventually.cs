namespace ShopModular.Tests.Infrastructure;

/// <summary>
/// Waits on what a client can observe, polling with a deadline (never a fixed sleep), for state that lives where
/// no tracked session can see it: other processes, or messages recovered while a host starts.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure());
            await Task.Delay(Interval);
        }
    }

    /// <summary>The first non-null value the probe gives.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string failure)
        where T : class
    {
        T? value = null;
        await UntilAsync(async () => (value = await probe()) is not null, timeout, () => failure);
        return value!;
    }

    /// <summary>Whether the server answers the path with success; false while it does not listen yet.</summary>
    public static async Task<bool> AnswersAsync(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
