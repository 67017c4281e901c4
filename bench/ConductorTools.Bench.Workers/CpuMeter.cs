using System.Diagnostics;

namespace ConductorTools.Bench.Workers;

/// <summary>Process CPU over a window: this process, and the server's when it runs as our child.</summary>
internal sealed class CpuMeter
{
    private readonly BenchServer _server;
    private readonly TimeSpan _self;
    private readonly TimeSpan _child;

    private CpuMeter(BenchServer server, bool collect)
    {
        _server = server;
        if (collect)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        _self = Self();
        _child = server.ChildCpu();
    }

    public static CpuMeter Start(BenchServer server, bool collect = true) => new(server, collect);

    public (TimeSpan Self, TimeSpan Child) Stop() => (Self() - _self, _server.ChildCpu() - _child);

    private static TimeSpan Self()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
