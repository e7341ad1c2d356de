namespace Drlrec.Learning;

/// <summary>
/// A loss term or the gradient became NaN or infinite: the update is refused before it reaches the weights, and the run
/// stops rather than train on (and save) a broken model. Usually a learning rate far too high or exploding inputs.
/// </summary>
public sealed class NonFiniteTrainingException(string message) : InvalidOperationException(message)
{
    /// <summary>Throws when <paramref name="value"/> is not finite, naming the update and the quantity.</summary>
    /// <param name="step">The 1-based update of the run that would have applied it.</param>
    public static void Check(double value, string what, long step)
    {
        if (double.IsFinite(value)) return;
        throw new NonFiniteTrainingException(
            $"training stopped at update {step}: {what} is {value} (not finite); no update was applied and no model was " +
            "saved from it. Lower dqn.learning_rate or check the inputs' scale");
    }
}
