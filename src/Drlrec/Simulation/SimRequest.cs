namespace Drlrec.Simulation;

/// <summary>
/// One request to the synthetic recommender: a user in a context, with the candidate items a policy may choose from.
/// </summary>
/// <param name="RequestId">Identifier; becomes <see cref="Data.LoggedList.ListId"/>.</param>
/// <param name="User">User index, 0..Users-1 (key <c>u&lt;index&gt;</c>).</param>
/// <param name="Hour">Hour-of-day bucket, 0..<see cref="SyntheticSimulator.HourBuckets"/>-1 (four hours each, from midnight UTC).</param>
/// <param name="Device">Device the request came from, 0..<see cref="SyntheticSimulator.Devices"/>-1.</param>
/// <param name="Timestamp">Unix seconds; <paramref name="Hour"/> is the bucket of this time.</param>
/// <param name="Candidates">Distinct item indices offered, <see cref="SyntheticConfig.CandidatesPerRequest"/> of them.</param>
public sealed record SimRequest(string RequestId, int User, int Hour, int Device, long Timestamp, int[] Candidates);
