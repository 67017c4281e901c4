using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Testing;

/// <summary>One log record as a test sees it.</summary>
public readonly record struct LogEntry(string Category, LogLevel Level, string Message, Exception? Error);

/// <summary>Keeps every log record so a test can check what an operator would see. Usable as a provider
/// (<c>builder.AddProvider(logs)</c>) or directly as the <see cref="ILoggerFactory"/> a component takes.</summary>
public sealed class ListLoggerProvider : ILoggerProvider, ILoggerFactory
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Messages => Entries.Select(e => (e.Level, e.Message)).ToList();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    void ILoggerFactory.AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class ListLogger(ListLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}
