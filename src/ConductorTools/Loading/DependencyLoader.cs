using System.Reflection;
using System.Runtime.InteropServices;

namespace ConductorTools.PowerShell.Loading;

/// <summary>
/// Loads the module's third-party assemblies (Azure.Core, MSAL, Polly, Microsoft.Data.Sqlite, Jint, ...) from
/// <c>dependencies/</c> beside ConductorTools.dll, and the SQLite native library for the running platform from
/// <c>dependencies/runtimes/&lt;rid&gt;/native</c>.
/// </summary>
/// <remarks>
/// <para>PowerShell 7: the third-party assemblies load into one AssemblyLoadContext of the module's own, so another
/// module's Azure.Core or Microsoft.Data.Sqlite (Az.Accounts ships both) neither replaces ours nor is replaced by it.
/// ConductorTools.Core and ConductorTools.Engine stay in the default context beside ConductorTools.dll, because
/// PowerShell resolves type names such as <c>[ConductorTools.Model.TaskDef]</c> only there (ClrFacade.GetAssemblies in
/// PowerShell/PowerShell). Every assembly of <c>dependencies/</c> that the runtime does not provide itself is loaded into
/// the module's context on first need, so that requests between dependencies find ours in that context's cache before
/// the default context is asked. netstandard2.0 has no AssemblyLoadContext type: it is reached by reflection.</para>
/// <para>Windows PowerShell 5.1 has no load contexts and no binding redirects for modules: a request the runtime cannot
/// satisfy is answered from <c>dependencies/</c> by simple name, whatever version was asked for, and the native
/// library is loaded by full path before Microsoft.Data.Sqlite asks for it by name.</para>
/// </remarks>
internal static class DependencyLoader
{
    private static readonly object Gate = new();
    private static bool _installed;
    private static string _dependencyDirectory = "";
    private static Dictionary<string, string> _index = new(StringComparer.OrdinalIgnoreCase);
    private static readonly Dictionary<string, Assembly> Loaded = new(StringComparer.OrdinalIgnoreCase);
    private static object? _loadContext;
    private static MethodInfo? _loadFromAssemblyPath;
    private static bool _preloaded;

    /// <summary>The module's private load context on PowerShell 7 (null elsewhere, or before the first dependency loads).</summary>
    internal static object? LoadContext => _loadContext;

    /// <summary>Installs the resolvers once per process. Safe to call from every entry point.</summary>
    internal static void Install()
    {
        lock (Gate)
        {
            if (_installed) return;
            _installed = true;
            var moduleDirectory = Path.GetDirectoryName(typeof(DependencyLoader).Assembly.Location) ?? "";
            _dependencyDirectory = Path.Combine(moduleDirectory, "dependencies");
            // A plain `dotnet build` output keeps everything flat beside the module: nothing to redirect there.
            if (!Directory.Exists(_dependencyDirectory)) return;
            // Assembly names are case-insensitive; a folder on a case-sensitive file system could still hold two spellings.
            foreach (var path in Directory.GetFiles(_dependencyDirectory, "*.dll").OrderBy(p => p, StringComparer.Ordinal))
                _index[Path.GetFileNameWithoutExtension(path)] = path;

            var alcType = Type.GetType("System.Runtime.Loader.AssemblyLoadContext", throwOnError: false);
            if (alcType is null) InstallForNetFramework();
            else InstallForNetCore(alcType);
        }
    }

    private static void InstallForNetFramework()
    {
        AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
        {
            var name = new AssemblyName(args.Name).Name;
            if (name is null || !_index.TryGetValue(name, out var path)) return null;
            lock (Gate)
            {
                if (!Loaded.TryGetValue(name, out var assembly)) Loaded[name] = assembly = Assembly.LoadFrom(path);
                return assembly;
            }
        };
        var native = NativeLibraryPath();
        if (native is not null && RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) LoadLibraryW(native);
    }

    private static void InstallForNetCore(Type alcType)
    {
        _loadContext = Activator.CreateInstance(alcType, "ConductorTools", false);
        _loadFromAssemblyPath = alcType.GetMethod("LoadFromAssemblyPath", new[] { typeof(string) });
        var defaultContext = alcType.GetProperty("Default", BindingFlags.Public | BindingFlags.Static)!.GetValue(null);
        var resolving = alcType.GetEvent("Resolving")!;
        var resolve = Delegate.CreateDelegate(resolving.EventHandlerType!,
            typeof(DependencyLoader).GetMethod(nameof(ResolveManaged), BindingFlags.NonPublic | BindingFlags.Static)!);
        // The default context asks when ConductorTools.Core/Engine need a dependency; ours when a dependency needs one
        // that was not preloaded.
        resolving.AddEventHandler(defaultContext, resolve);
        resolving.AddEventHandler(_loadContext, resolve);
        var unmanaged = alcType.GetEvent("ResolvingUnmanagedDll")!;
        unmanaged.AddEventHandler(_loadContext, Delegate.CreateDelegate(unmanaged.EventHandlerType!,
            typeof(DependencyLoader).GetMethod(nameof(ResolveUnmanaged), BindingFlags.NonPublic | BindingFlags.Static)!));
    }

    // Signature matches Func<AssemblyLoadContext, AssemblyName, Assembly?> (the first parameter by contravariance).
    private static Assembly? ResolveManaged(object context, AssemblyName name)
    {
        if (name.Name is null || !_index.ContainsKey(name.Name)) return null;
        lock (Gate)
        {
            PreloadAll();
            return LoadIntoContext(name.Name);
        }
    }

    /// <summary>Loads every dependency the runtime does not provide, so our dependencies find one another in our context.</summary>
    private static void PreloadAll()
    {
        if (_preloaded) return;
        _preloaded = true;
        var platform = PlatformAssemblyNames();
        foreach (var name in _index.Keys.Where(name => !platform.Contains(name)).ToList()) LoadIntoContext(name);
    }

    private static Assembly? LoadIntoContext(string name)
    {
        if (Loaded.TryGetValue(name, out var assembly)) return assembly;
        if (!_index.TryGetValue(name, out var path)) return null;
        assembly = (Assembly)_loadFromAssemblyPath!.Invoke(_loadContext, new object[] { path })!;
        Loaded[name] = assembly;
        return assembly;
    }

    /// <summary>Simple names of the assemblies the runtime itself provides (System.Text.Json, System.Memory, ...): those stay shared.</summary>
    private static HashSet<string> PlatformAssemblyNames()
    {
        var list = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        return new HashSet<string>(list.Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries)
            .Select(Path.GetFileNameWithoutExtension), StringComparer.OrdinalIgnoreCase);
    }

    // Signature matches Func<Assembly, string, IntPtr>.
    private static IntPtr ResolveUnmanaged(Assembly requester, string name)
    {
        if (!NativeLibraries.IsSqlite(name)) return IntPtr.Zero;
        var path = NativeLibraryPath();
        if (path is null) return IntPtr.Zero;
        var load = Type.GetType("System.Runtime.InteropServices.NativeLibrary", throwOnError: false)
            ?.GetMethod("Load", new[] { typeof(string) });
        return load is null ? IntPtr.Zero : (IntPtr)load.Invoke(null, new object[] { path })!;
    }

    private static string? NativeLibraryPath()
    {
        var rid = NativeLibraries.CurrentRuntimeIdentifier();
        if (rid is null) return null;
        var path = Path.Combine(_dependencyDirectory, NativeLibraries.RelativePath(rid));
        return File.Exists(path) ? path : null;
    }

    [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true)]
    private static extern IntPtr LoadLibraryW(string path);
}
