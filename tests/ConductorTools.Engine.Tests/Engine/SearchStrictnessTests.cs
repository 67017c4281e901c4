using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: search text that is not understood is refused with a 400 naming it, never dropped or guessed.</summary>
public sealed class SearchStrictnessTests : EngineTestBase
{
    private async Task<ConductorException> RefusedAsync(string? query, string? sort = null)
    {
        var refused = await Assert.ThrowsAsync<ConductorException>(() =>
            Engine.SearchWorkflowsAsync(new SearchRequest { Query = query, Sort = sort }, Ct));
        Assert.Equal(400, refused.StatusCode);
        return refused;
    }

    [Fact]
    public async Task Deeply_nested_parentheses_are_refused_with_the_limit()
    {
        var deep = new string('(', 3000) + "status = RUNNING" + new string(')', 3000);
        Assert.Contains($"deeper than {Storage.SearchSql.MaxNesting} levels", (await RefusedAsync(deep)).Message);

        var allowed = new string('(', Storage.SearchSql.MaxNesting) + "status = RUNNING" + new string(')', Storage.SearchSql.MaxNesting);
        Assert.Equal(0, (await Engine.SearchWorkflowsAsync(new SearchRequest { Query = allowed }, Ct)).TotalHits);
    }

    [Theory]
    [InlineData("status IN (RUNNING) garbage", "'garbage' after the IN (...) list")]
    [InlineData("status IN (RUNNING) AND", "nothing on one side")]
    [InlineData("status = RUNNING extra", "quote a value that has spaces")]
    [InlineData("correlationId = 'a' b", "Cannot read 'b' after the value 'a'")]
    [InlineData("correlationId = 'open", "Unbalanced parentheses or quotes")]
    [InlineData("status =", "A value is missing")]
    [InlineData("status IN (RUNNING", "Unbalanced parentheses")]
    public async Task Text_that_is_not_understood_is_refused(string query, string message)
    {
        Assert.Contains(message, (await RefusedAsync(query)).Message);
    }

    [Theory]
    [InlineData("startTime:SIDEWAYS")]
    [InlineData("startTime:DESC:ASC")]
    [InlineData("startTime:")]
    public async Task A_garbled_sort_direction_is_refused(string sort)
    {
        Assert.Contains("use field, field:ASC or field:DESC", (await RefusedAsync(null, sort)).Message);
    }

    [Fact]
    public async Task Quoted_values_may_hold_commas_parentheses_and_spaces()
    {
        var id = await StartAsync(Def("strict_search", Simple("t")), correlationId: "a, (b) c");

        var found = await Engine.SearchWorkflowsAsync(new SearchRequest
        {
            Query = "correlationId IN ('a, (b) c', other) AND workflowType = \"strict_search\"", Sort = "startTime:desc|workflowId",
        }, Ct);

        Assert.Equal(id, Assert.Single(found.Results).WorkflowId);
    }
}
