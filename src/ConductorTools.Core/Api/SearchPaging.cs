using ConductorTools.Model;

namespace ConductorTools.Api;

/// <summary>Workflow searches past one page: Conductor answers at most 5000 hits per request, so larger counts are paged.</summary>
public static class SearchPaging
{
    /// <summary>The largest page Conductor returns.</summary>
    public const int MaxPageSize = 5000;

    /// <summary>
    /// Up to <paramref name="first"/> hits of <paramref name="query"/> sorted by <paramref name="sort"/>, asking for pages
    /// of at most <paramref name="pageSize"/> (from <c>start</c> 0 on) until enough arrived, a page came back short,
    /// or the total number of hits was reached.
    /// </summary>
    public static async Task<List<WorkflowSummary>> SearchWorkflowsAsync(IConductorApi api, string? query, string? sort, int first,
        int pageSize = MaxPageSize, CancellationToken cancellationToken = default)
    {
        if (first < 1) throw new ArgumentOutOfRangeException(nameof(first), first, "Ask for at least one result.");
        if (pageSize < 1 || pageSize > MaxPageSize) throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, $"A page is 1 to {MaxPageSize} results.");
        var found = new List<WorkflowSummary>();
        while (found.Count < first)
        {
            var size = Math.Min(pageSize, first - found.Count);
            var page = await api.SearchWorkflowsAsync(new SearchRequest { Start = found.Count, Size = size, Query = query, Sort = sort }, cancellationToken)
                .ConfigureAwait(false);
            found.AddRange(page.Results.Take(size));
            if (page.Results.Count < size || found.Count >= page.TotalHits) break;
        }
        return found;
    }
}
