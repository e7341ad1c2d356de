using System.CommandLine;

namespace Drlrec.Cli.Options;

/// <summary><c>--role</c> of the training benchmarks (<c>bench train</c>, <c>bench scale</c>).</summary>
public static class TrainingRoleOption
{
    /// <summary>teacher, student, or distill (the student distilled from a teacher).</summary>
    public static Option<string> Create(string defaultRole)
    {
        var role = new Option<string>("--role")
        {
            Description = "What to train: teacher or student (Double DQN alone), or distill (the student distilled from a teacher)",
            DefaultValueFactory = _ => defaultRole,
        };
        role.AcceptOnlyFromAmong("teacher", "student", "distill");
        return role;
    }
}
