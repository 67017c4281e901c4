namespace ConductorTools.Bench.Workers;

internal sealed record Latency(double[] ServerMs, double[] ClientMs);
