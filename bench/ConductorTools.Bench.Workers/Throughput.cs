namespace ConductorTools.Bench.Workers;

internal sealed record Throughput(int Count, double Seconds, TimeSpan Cpu, TimeSpan ServerCpu)
{
    public double Rate => Count / Seconds;
    public double CpuPercent => Cpu.TotalMilliseconds / (Seconds * 10);
    public double CpuMsPerTask => Cpu.TotalMilliseconds / Count;
    public double ServerCpuMsPerTask => ServerCpu.TotalMilliseconds / Count;
}
