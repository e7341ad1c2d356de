using System.Globalization;

namespace Drlrec.Tests.Support;

/// <summary>Reading a dense field's value set in assertions.</summary>
public static class DenseSets
{
    /// <summary>The one number a dense value set holds (fails the test when the set holds more or fewer).</summary>
    public static double Number(string[] set) => double.Parse(Assert.Single(set), CultureInfo.InvariantCulture);
}
