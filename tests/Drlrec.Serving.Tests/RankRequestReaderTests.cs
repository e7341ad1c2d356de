using System.Text.Json;
using Drlrec.Data;

namespace Drlrec.Serving.Tests;

/// <summary>The request reader on a schema with dense fields: numbers (or null) for them, strings for the others.</summary>
public sealed class RankRequestReaderTests
{
    private static readonly ListSchema Schema = new(
    [
        new FieldSpec("user", FieldGroup.User), new FieldSpec("item", FieldGroup.Item),
        new FieldSpec("score", FieldGroup.Item, FieldKind.Dense), new FieldSpec("load", FieldGroup.Context, FieldKind.Dense),
    ]);

    private static readonly RankRequestReader Reader = new(Schema, new ServeOptions { Model = "unused" });

    private static RankCall Read(string score, string load = "2.5") => Reader.Read(JsonDocument.Parse(
        $$"""{ "user": {"user": "u1"}, "context": {"load": {{load}}}, "candidates": [ {"item": "a", "score": {{score}}}, {"item": "b", "score": 1} ], "slate_size": 2 }""").RootElement);

    [Fact]
    public void A_dense_field_takes_a_json_number_or_null_for_missing()
    {
        var call = Read("-0.75");
        Assert.Equal(["-0.75"], call.Request.Candidates[0]["score"]);
        Assert.Equal(["2.5"], call.Request.Context["load"]);
        Assert.Equal([LoggedItem.Missing], Read("null").Request.Candidates[0]["score"]);
    }

    [Theory]
    [InlineData("\"0.5\"", "must be a number")]
    [InlineData("\"NaN\"", "must be a number")]
    [InlineData("[1]", "must be a number")]
    [InlineData("1e400", "not a finite number")]
    public void Anything_else_is_a_400_naming_the_field(string score, string problem)
    {
        var e = Assert.Throws<RequestError>(() => Read(score));
        Assert.Equal(400, e.Status);
        Assert.Equal("candidates[0].score", e.Field);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void A_categorical_field_still_refuses_numbers()
    {
        var e = Assert.Throws<RequestError>(() => Reader.Read(JsonDocument.Parse(
            """{ "user": {"user": 5}, "context": {"load": 1}, "candidates": [ {"item": "a", "score": 1} ], "slate_size": 1 }""").RootElement));
        Assert.Equal("user.user", e.Field);
    }
}
