using ConductorTools.Model;

// Minimal host: health only. The full conductor-oss REST surface over the embedded engine is built on top of this.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/health", () => Results.Json(new HealthResponse { Healthy = true }, ConductorJson.Options));
app.MapGet("/api/health", () => Results.Json(new HealthResponse { Healthy = true }, ConductorJson.Options));
await app.RunAsync().ConfigureAwait(false);
