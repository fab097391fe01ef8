namespace ShopModular.ServiceDefaults.Http;

public static class ExceptionCauses
{
    /// <summary>
    /// The exception and the ones it wraps, outermost first: EF Core, YARP and Npgsql wrap what actually went
    /// wrong, so a decision about the answer has to look down the chain.
    /// </summary>
    public static IEnumerable<Exception> AndItsCauses(this Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            yield return exception;
        }
    }
}
