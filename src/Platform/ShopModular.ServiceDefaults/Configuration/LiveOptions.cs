using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ShopModular.ServiceDefaults.Configuration;

public static class LiveOptionsExtensions
{
    /// <summary>
    /// Options bound to <paramref name="section"/> that follow its changes (a reload of the config server's values),
    /// read through <see cref="IOptionsMonitor{TOptions}"/>. Validated when the host starts (it refuses to start on an
    /// invalid value); a changed value that fails the validation is refused with a warning and the previous one stays
    /// in force. Add the validation to the builder this returns. Read them through the monitor: an
    /// <see cref="IOptionsSnapshot{TOptions}"/> would bind the refused value anew.
    /// </summary>
    public static OptionsBuilder<TOptions> AddLiveOptions<TOptions>(this IServiceCollection services, IConfiguration section)
        where TOptions : class
    {
        services.TryAddSingleton<IOptionsMonitor<TOptions>, LastValidOptionsMonitor<TOptions>>();
        return services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
    }
}

/// <summary>
/// An options monitor that keeps the last valid value: the framework's own would throw at every read of an invalid
/// value after a reload (and from inside the reload itself).
/// </summary>
internal sealed class LastValidOptionsMonitor<TOptions> : IOptionsMonitor<TOptions>, IDisposable
    where TOptions : class
{
    private readonly IOptionsFactory<TOptions> _factory;
    private readonly ILogger<LastValidOptionsMonitor<TOptions>> _logger;
    private readonly ConcurrentDictionary<string, TOptions> _current = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _registrations = [];
    private event Action<TOptions, string?>? Changed;

    public LastValidOptionsMonitor(
        IOptionsFactory<TOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<TOptions>> sources,
        ILogger<LastValidOptionsMonitor<TOptions>> logger)
    {
        _factory = factory;
        _logger = logger;
        foreach (var source in sources)
        {
            _registrations.Add(Microsoft.Extensions.Primitives.ChangeToken.OnChange(source.GetChangeToken, Reload, source.Name));
        }
    }

    public TOptions CurrentValue => Get(Options.DefaultName);

    /// <summary>The first read binds and validates, and throws on an invalid value: at start-up, that stops the host.</summary>
    public TOptions Get(string? name) => _current.GetOrAdd(name ?? Options.DefaultName, _factory.Create);

    public IDisposable OnChange(Action<TOptions, string?> listener)
    {
        Changed += listener;
        return new Unsubscribe(() => Changed -= listener);
    }

    private void Reload(string? name)
    {
        name ??= Options.DefaultName;
        if (!_current.ContainsKey(name))
        {
            // Never read: the next read binds the new value, and validates it.
            return;
        }

        TOptions fresh;
        try
        {
            fresh = _factory.Create(name);
        }
        catch (Exception exception) when (exception is OptionsValidationException or InvalidOperationException or FormatException)
        {
            // InvalidOperationException, FormatException: a value the binder cannot convert (a word for a number).
            _logger.LogWarning("Refused the changed {Options} settings, keeping the previous ones: {Reason}", typeof(TOptions).Name, exception.Message);
            return;
        }

        _current[name] = fresh;
        Changed?.Invoke(fresh, name);
    }

    public void Dispose() => _registrations.ForEach(registration => registration.Dispose());

    private sealed class Unsubscribe(Action unsubscribe) : IDisposable
    {
        public void Dispose() => unsubscribe();
    }
}
