using Drlrec.Data;
using Drlrec.Features;
using Drlrec.OffPolicy;
using Drlrec.Simulation;
using Drlrec.Checkpoints;
using Drlrec.Ranking;
using Drlrec.Experiments;
using MathNet.Numerics.Statistics;

// usage: probe N MODEL...: each model's Q at the first slot over N fresh requests' candidates in the model's simulator world,
// scored with the candidates' upstream score and rank as the request gives them and with them missing (as a catalog item
// drawn by the explorer has them), against the simulator's true click probabilities.
int n = int.Parse(args[0]);
var first = ModelCheckpoint.Load(args[1]);
var world = first.TrainingData.Synthetic! with { ListLength = first.TrainingData.MaxListLength };
var sim = new SyntheticSimulator(world);
var log = sim.GenerateLogs();
var totals = UserHistory.Totals(log);
var (eval, requests) = OpeValidation.Replicate(sim, n, 777, totals);
var truth = new double[n][];
for (int i = 0; i < n; i++)
    truth[i] = eval[i].Request.Candidates.Select(c => sim.ClickProbabilities(requests[i], [sim.IndexOf(c[SyntheticSimulator.ItemIdField][0])])[0]).ToArray();
double best = truth.Average(t => t.Max()), mean = truth.Average(t => t.Average());
Console.WriteLine($"requests {n}; true click prob at slot 1: best {best:F4} mean {mean:F4}");
foreach (var path in args.Skip(1))
{
    var model = ModelCheckpoint.Load(path);
    var ranker = new SlateRanker(new TorchStepScorer(model.Online), model.Vocabulary, model.Schema);
    foreach (bool missing in new[] { false, true })
    {
        double rho = 0, top = 0, qm = 0, qsd = 0;
        for (int i = 0; i < n; i++)
        {
            var req = eval[i].Request;
            if (missing)
                req = req with { Candidates = req.Candidates.Select(c => (IReadOnlyDictionary<string, string[]>)c.ToDictionary(kv => kv.Key,
                    kv => kv.Key is SyntheticSimulator.UpstreamScoreField or SyntheticSimulator.UpstreamRankField ? new[] { LoggedItem.Missing } : kv.Value)).ToList() };
            using var session = ranker.Scorer.Begin(ranker.Input(req));
            var q = session.Score(Enumerable.Range(0, req.Candidates.Count).ToArray());
            rho += Correlation.Spearman(q.Select(x => (double)x), truth[i]) / n;
            top += truth[i][Array.IndexOf(q, q.Max())] / n;
            qm += q.Average() / n; qsd += Math.Sqrt(q.Select(x => (double)x).Variance()) / n;
        }
        Console.WriteLine($"{Path.GetFileName(path),-14} upstream {(missing ? "missing" : "given  ")}: Spearman(Q, truth) {rho:F3}  truth of top-1 {top:F4}  Q mean {qm:F3} sd {qsd:F3}");
    }
}
