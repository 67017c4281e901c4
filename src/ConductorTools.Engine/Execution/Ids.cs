using System.Security.Cryptography;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// Workflow and task ids: UUID version 7 strings (time-ordered, 74 random bits). Conductor's ids are opaque UUID
/// strings; time-ordered ones keep new rows together in SQLite's indexes, so inserts and lookups of recent executions
/// stay cheap as the database grows.
/// </summary>
internal static class Ids
{
    private static readonly RandomNumberGenerator Random = RandomNumberGenerator.Create();

    public static string New()
    {
        var bytes = new byte[16];
        Random.GetBytes(bytes);
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(ms & 0xFF);
            ms >>= 8;
        }
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        var hex = new char[36];
        var position = 0;
        for (var i = 0; i < 16; i++)
        {
            if (i is 4 or 6 or 8 or 10)
            {
                hex[position++] = '-';
            }
            hex[position++] = Digit(bytes[i] >> 4);
            hex[position++] = Digit(bytes[i] & 0x0F);
        }
        return new string(hex);
    }

    private static char Digit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);
}
