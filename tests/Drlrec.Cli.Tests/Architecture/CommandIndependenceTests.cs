using System.Reflection;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Architecture;

/// <summary>
/// Commands are parse → library call → print. A command may build its subcommands (call their <c>Create</c>), but never
/// use another command's members: what two commands share lives in the library, in <c>Options/</c> or in <c>Output/</c>.
/// </summary>
public sealed class CommandIndependenceTests
{
    private static readonly Type[] Commands = typeof(DrlrecCli).Assembly.GetTypes()
        .Where(t => t.Namespace == "Drlrec.Cli.Commands" && t.DeclaringType is null && t.Name.EndsWith("Command", StringComparison.Ordinal))
        .ToArray();

    [Fact]
    public void Every_command_class_makes_its_command_with_Create()
    {
        Assert.True(Commands.Length >= 15, $"{Commands.Length} command classes");
        foreach (var command in Commands)
            Assert.Contains(command.GetMethods(BindingFlags.Public | BindingFlags.Static), m => m.Name == "Create");
    }

    [Fact]
    public void No_command_uses_another_commands_members()
    {
        var violations = new List<string>();
        foreach (var command in Commands)
        {
            var nested = command.Assembly.GetTypes().Where(t => TypeReferences.Outermost(t) == command);
            foreach (var member in nested.SelectMany(TypeReferences.MembersUsedBy))
            {
                var owner = member is Type t ? t : member.DeclaringType;
                if (owner is null || !Commands.Contains(TypeReferences.Outermost(owner)) || TypeReferences.Outermost(owner) == command) continue;
                if (member is MethodInfo { Name: "Create" }) continue;
                violations.Add($"{command.Name} uses {TypeReferences.Outermost(owner).Name}.{member.Name}");
            }
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations.Distinct()));
    }
}
