using TorchSharp;
using Drlrec.Data;
using Drlrec.Simulation;
using Drlrec.Tensors;
using static TorchSharp.torch;

namespace Drlrec.OffPolicy;

/// <summary>Settings of the direct method's click model (<see cref="FittedClickModel"/>).</summary>
public sealed record ClickModelSettings
{
    /// <summary>Passes over the fitting rows. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Rows per Adam step. Default 4096.</summary>
    public int BatchSize { get; init; } = 4096;

    /// <summary>Adam's learning rate. Default 0.05.</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>L2 penalty on every weight, per fitting row (a Gaussian prior that keeps rare values near 0). Default 1.</summary>
    public double L2 { get; init; } = 1;

    /// <summary>The decays of the prefix features: an earlier item sharing a value counts decay^(items in between). Default 0.5 and 0.9.</summary>
    public IReadOnlyList<double> Decays { get; init; } = [0.5, 0.9];

    /// <summary>
    /// Whether a user may leave the list after a click, with a probability fitted per clicked item (its own logit over
    /// the same features as the click's): a dynamic-Bayesian-network-style click model (Chapelle and Zhang, WWW 2009).
    /// Without it the direct method cannot tell two orders of the same items apart when what one of them does is keep
    /// users on the list. Default true (where nobody leaves, the leave logits stay low and the model is the
    /// position-based one).
    /// </summary>
    public bool Exit { get; init; } = true;
}

/// <summary>
/// The direct method's click model: a position-based model with list features and leaving after a click, fitted by
/// maximum likelihood on shown items' clicks (any data: it reads only the schema's fields),
/// <code>
///   c(a_1..a_l)  = σ(θ_l) · σ(b + Σ_k w_k x_k + Σ_f,d γ_fd · load_fd)       click on a_l if the user is still there
///   leave(a)     = σ(η + Σ_k u_k x_k + κ (b + Σ_k w_k x_k))                 leaving after a click on a
///   B(a_1..a_l)  = Π over j &lt; l of (1 − c(a_1..a_j) · leave(a_j))          still there at l
///   q̂(a_1..a_l) = B(a_1..a_l) · c(a_1..a_l)
///   load_fd      = Σ over j &lt; l of d^(l − j − 1) · |V_f(a_j) ∩ V_f(a_l)| / |V_f(a_l)|
/// </code>
/// with θ_l an examination logit per position (the last fitted one beyond), x the row's features: one weight per
/// categorical value of every user, item and context field (<c>position</c> aside; a set's values share 1), per cross of
/// the user key with each other categorical item field and of each context field with each other categorical item field,
/// every dense field standardised (mean and standard deviation of the fitting rows, clipped to ±5; missing: 0 and a
/// missing weight), the leaving logit's u over the same features and κ on how attractive the item is to this user
/// (satisfaction may go with or against it); V_f(a) the values of a's categorical item field f (the item key aside) and d each of
/// <see cref="ClickModelSettings.Decays"/>. The loads and the leaving make it a cascade model: the click at l depends on
/// the items before it, as same-category fatigue and leaving do. The likelihood of a logged list whose last click is at m:
/// <code>
///   Π over l ≤ m of c_l^y_l (1 − c_l)^(1 − y_l) · Π over clicks j &lt; m of (1 − leave_j) · [leave_m + (1 − leave_m) Π over l &gt; m of (1 − c_l)]
/// </code>
/// (a list without a click: Π (1 − c_l)); without <see cref="ClickModelSettings.Exit"/> leave = 0 and this is the
/// binary cross-entropy of every row. Fitted with Adam on it plus an L2 penalty, from zero weights, in a seeded list
/// order: the same rows and seed give the same model. Then the first position is taken as examined (σ(θ_1) = 1) and the
/// intercept b, then each later θ_l, position by position, are set so that the mean prediction q̂ at each position over
/// the fitting rows is their click rate (calibration in the large; Adam's last steps leave the level a few percent off,
/// differently from fit to fit).
/// </summary>
public sealed class FittedClickModel : IClickModel
{
    private readonly Layout layout;
    private readonly Dictionary<FeatureKey, int> features;
    private readonly Weights click, leave;
    private readonly float[] loadWeights, examination;
    private readonly double[] denseMean, denseScale;
    private readonly double[] decays;
    private readonly bool exit;

    private FittedClickModel(Layout layout, Dictionary<FeatureKey, int> features, Weights click, Weights leave, float[] loadWeights,
        float[] examination, double[] denseMean, double[] denseScale, double[] decays, bool exit)
    {
        (this.layout, this.features, this.click, this.leave, this.loadWeights, this.examination) =
            (layout, features, click, leave, loadWeights, examination);
        (this.denseMean, this.denseScale, this.decays, this.exit) = (denseMean, denseScale, decays, exit);
    }

    /// <summary>Examination logits θ_1.. (for reports and tests).</summary>
    public IReadOnlyList<float> Examination => examination;

    /// <summary>The fitted probability of leaving after a click on <paramref name="candidate"/> of
    /// <paramref name="slate"/> (0 without <see cref="ClickModelSettings.Exit"/>).</summary>
    public double Leave(LoggedSlate slate, int candidate) =>
        exit ? SimRandom.Sigmoid(Logit(leave, slate, candidate) + leave.OnAttraction * Logit(click, slate, candidate)) : 0;

    /// <summary>Fits the model on the shown items of <paramref name="lists"/>.</summary>
    public static FittedClickModel Fit(ListSchema schema, IReadOnlyList<LoggedSlate> lists, int seed, ClickModelSettings? settings = null)
    {
        settings ??= new ClickModelSettings();
        if (lists.Count == 0) throw new ArgumentException("the click model needs logged lists to fit on");
        var layout = Layout.Of(schema);
        var decays = settings.Decays.ToArray();
        int loads = layout.LoadFields.Length * decays.Length;

        // Dense statistics and the feature vocabulary from the fitting rows.
        var denseValues = layout.DenseFields.Select(_ => new List<double>()).ToArray();
        var featureIndex = new Dictionary<FeatureKey, int>();
        int rows = 0, positions = 1;
        foreach (var slate in lists)
        {
            positions = Math.Max(positions, slate.Shown);
            for (int c = 0; c < slate.Shown; c++, rows++)
            {
                foreach (var (key, _) in layout.Sparse(slate, c)) featureIndex.TryAdd(key, featureIndex.Count);
                for (int d = 0; d < layout.DenseFields.Length; d++)
                    if (layout.Dense(slate, c, d) is { } v) denseValues[d].Add(v);
                    else featureIndex.TryAdd(new FeatureKey(Layout.MissingField(d), LoggedItem.Missing, -1, ""), featureIndex.Count);
            }
        }
        var denseMean = denseValues.Select(v => v.Count == 0 ? 0 : v.Average()).ToArray();
        var denseScale = denseValues.Select((v, d) => v.Count < 2 ? 1 : Math.Max(1e-9, Math.Sqrt(v.Sum(x => (x - denseMean[d]) * (x - denseMean[d])) / (v.Count - 1)))).ToArray();
        var partial = new FittedClickModel(layout, featureIndex, Weights.Zero, Weights.Zero, [], [], denseMean, denseScale, decays, false);

        // The rows: lists in a seeded order (a list's likelihood is one term, so a list's rows stay together, in position
        // order), each row's sparse entries (CSR), dense and load features, position and click.
        var listOrder = Enumerable.Range(0, lists.Count).ToArray();
        new Random(seed).Shuffle(listOrder);
        var data = new FitRows(rows, layout.DenseFields.Length, loads, lists.Count);
        var entries = new List<(int Feature, float Weight)>();
        int k = 0;
        for (int n = 0; n < lists.Count; n++)
        {
            var slate = lists[listOrder[n]];
            data.ListStart[n] = k;
            data.LastClick[n] = -1;
            for (int c = 0; c < slate.Shown; c++, k++)
            {
                data.EntryStart[k] = entries.Count;
                foreach (var (key, w) in layout.Sparse(slate, c)) entries.Add((featureIndex[key], w));
                for (int d = 0; d < layout.DenseFields.Length; d++)
                    if (layout.Dense(slate, c, d) is { } v) data.Dense[k * layout.DenseFields.Length + d] = (float)partial.Standardise(d, v);
                    else entries.Add((featureIndex[new FeatureKey(Layout.MissingField(d), LoggedItem.Missing, -1, "")], 1f));
                var rowLoads = partial.Loads(slate, Enumerable.Range(0, c).ToArray(), c, c);
                for (int j = 0; j < loads; j++) data.Loads[k * loads + j] = (float)rowLoads[j];
                data.Position[k] = c;
                data.List[k] = n;
                data.Click[k] = Math.Clamp(slate.Rewards[c], 0f, 1f);
                if (settings.Exit && data.Click[k] > 0) data.LastClick[n] = k;
            }
        }
        data.EntryStart[rows] = entries.Count;
        data.ListStart[lists.Count] = rows;
        data.Entries = entries;

        var (clickWeights, leaveWeights, loadWeights, theta) = Train(settings, featureIndex.Count, positions, data);
        (clickWeights, leaveWeights) = Calibrate(data, clickWeights, leaveWeights, loadWeights, theta, settings.Exit);
        return new FittedClickModel(layout, featureIndex, clickWeights, leaveWeights, loadWeights, theta, denseMean, denseScale, decays, settings.Exit);
    }

    /// <summary>
    /// Calibration in the large, position by position: the last Adam steps leave the level of every prediction a few
    /// percent off, differently from fit to fit. The first position is examined (σ(θ_1) = 1, the position-based model's
    /// usual identification), and a shift Δ of the attraction's intercept, found by bisection (the mean prediction grows
    /// with Δ), makes the first position's mean prediction its click rate; the leaving logit's intercept takes −κΔ, so
    /// leaving is unchanged. Then σ(θ_l) scales position l's predictions, so θ_l = logit(Σ clicks / Σ B σ(z)) over the
    /// fitting rows at l makes their mean prediction q̂ = B σ(θ_l) σ(z) their click rate (capped at 1). B at l depends on
    /// θ_&lt;l only, so the positions are calibrated in order. Calibrating the first position by its examination alone,
    /// as before, left it short wherever the fit's attraction was too low there (σ(θ_1) cannot pass 1): measured in the
    /// default world, −0.04 clicks per list at the first position, on every policy's slates.
    /// </summary>
    private static (Weights Click, Weights Leave) Calibrate(FitRows data, Weights clickWeights, Weights leaveWeights, float[] loadWeights,
        float[] theta, bool exit)
    {
        int rows = data.Position.Length;
        var logits = new double[rows];
        var attraction = new double[rows];
        var leaves = new double[rows];
        var still = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double before = data.Logit(clickWeights, r);
            logits[r] = before;
            for (int j = 0; j < data.LoadCount; j++) logits[r] += loadWeights[j] * data.Loads[r * data.LoadCount + j];
            leaves[r] = exit ? SimRandom.Sigmoid(data.Logit(leaveWeights, r) + leaveWeights.OnAttraction * before) : 0;
            still[r] = 1;
        }
        // Σ over the first position's rows of σ(z + Δ) = their clicks (no loads there, and nobody has left yet).
        var first = Enumerable.Range(0, rows).Where(r => data.Position[r] == 0).ToArray();
        double firstClicks = first.Sum(r => (double)data.Click[r]), low = -20, high = 20;
        for (int i = 0; i < 60 && first.Length > 0; i++)
        {
            double mid = (low + high) / 2;
            if (first.Sum(r => SimRandom.Sigmoid(logits[r] + mid)) < firstClicks) low = mid;
            else high = mid;
        }
        double shift = first.Length > 0 ? (low + high) / 2 : 0;
        for (int r = 0; r < rows; r++) attraction[r] = SimRandom.Sigmoid(logits[r] + shift);
        clickWeights = clickWeights with { Bias = (float)(clickWeights.Bias + shift) };
        leaveWeights = leaveWeights with { Bias = (float)(leaveWeights.Bias - leaveWeights.OnAttraction * shift) };
        for (int l = 0; l < theta.Length; l++)
        {
            double expected = 0, clicks = 0;
            for (int r = 0; r < rows; r++)
                if (data.Position[r] == l) (expected, clicks) = (expected + still[r] * attraction[r], clicks + data.Click[r]);
            if (expected <= 0) continue;
            double examined = Math.Clamp(l == 0 ? 1 : clicks / expected, 1e-6, 1 - 1e-6);
            theta[l] = (float)Math.Log(examined / (1 - examined));
            for (int r = 0; r + 1 < rows; r++)
                if (data.Position[r] == l && data.List[r + 1] == data.List[r])
                    still[r + 1] = still[r] * (1 - examined * attraction[r] * leaves[r]);
        }
        return (clickWeights, leaveWeights);
    }

    /// <summary>
    /// Maximum likelihood with Adam over whole lists (the class summary's likelihood), from zero weights: batches of
    /// about <see cref="ClickModelSettings.BatchSize"/> rows, lists in the seeded order of <paramref name="data"/>;
    /// with leaving, <see cref="ClickModelSettings.Epochs"/> passes without it, then as many with it.
    /// </summary>
    private static (Weights Click, Weights Leave, float[] Loads, float[] Theta) Train(ClickModelSettings settings, int featureCount,
        int positions, FitRows data)
    {
        using var scope = NewDisposeScope();
        int rows = data.Position.Length, denseCount = data.DenseCount, loadCount = data.LoadCount;
        double rate = Math.Clamp(data.Click.Average(c => (double)c), 1e-3, 0.999);
        TorchSharp.Modules.Parameter Zeros(long count, float value = 0) => new(full(Math.Max(1, count), value), requires_grad: true);
        // σ(θ) = 0.5 at the start, so the intercept starts at the logit of twice the click rate (capped); leaving starts
        // unlikely (σ(−3) ≈ 0.05), so a world where nobody leaves starts where it ends.
        var (wp, dwp, lwp, thetap) = (Zeros(featureCount), Zeros(denseCount), Zeros(loadCount), Zeros(positions));
        var bp = Zeros(1, (float)Math.Log(Math.Min(2 * rate, 0.999) / (1 - Math.Min(2 * rate, 0.999))));
        var (up, dup, ep, kp) = (Zeros(featureCount), Zeros(denseCount), Zeros(1, -3), Zeros(1));
        // Held for every call that reads them (Tensors/Scalars.cs: a temporary Scalar can be finalized while libtorch reads it).
        using var low = 1e-6.ToScalar();
        using var high = (1 - 1e-6).ToScalar();
        using var tiny = 1e-12.ToScalar();
        // The L2 prior is on the feature weights, not on the position logits and the intercepts.
        var penalised = settings.Exit ? new[] { wp, dwp, lwp, up, dup } : [wp, dwp, lwp];
        var optimizer = optim.Adam(settings.Exit ? [.. penalised, thetap, bp, ep, kp] : [.. penalised, thetap, bp], settings.LearningRate);
        double penalty = settings.L2 / rows;

        // Batches of whole lists; each row's list and each entry's row are numbered within their batch.
        var batches = new List<(int List0, int List1)>();
        for (int n = 0, first = 0; n < data.LastClick.Length; n++)
            if (data.ListStart[n + 1] - data.ListStart[first] >= Math.Max(1, settings.BatchSize) || n + 1 == data.LastClick.Length)
            {
                batches.Add((first, n + 1));
                first = n + 1;
            }
        var entryRow = new long[data.Entries.Count];
        var listInBatch = new long[rows];
        var before = new float[rows];
        var clickedBefore = new float[rows];
        var after = new float[rows];
        foreach (var (list0, list1) in batches)
            for (int n = list0; n < list1; n++)
            {
                int last = data.LastClick[n];
                for (int r = data.ListStart[n]; r < data.ListStart[n + 1]; r++)
                {
                    for (int e = data.EntryStart[r]; e < data.EntryStart[r + 1]; e++) entryRow[e] = r - data.ListStart[list0];
                    listInBatch[r] = n - list0;
                    before[r] = last < 0 || r <= last ? 1 : 0;
                    clickedBefore[r] = last >= 0 && r < last && data.Click[r] > 0 ? 1 : 0;
                    after[r] = last >= 0 && r > last ? 1 : 0;
                }
            }
        // Every row's features as tensors once; a step takes its rows' slice.
        var allIndex = tensor(data.Entries.Select(e => (long)e.Feature).ToArray());
        var allWeight = tensor(data.Entries.Select(e => e.Weight).ToArray());
        var allRow = tensor(entryRow);
        var allDense = denseCount == 0 ? zeros(rows, 1) : tensor(data.Dense, [rows, denseCount]);
        var allLoads = loadCount == 0 ? zeros(rows, 1) : tensor(data.Loads, [rows, loadCount]);
        var allPosition = tensor(data.Position.Select(p => (long)p).ToArray());
        var allClick = tensor(data.Click);
        var (allBefore, allClickedBefore, allAfter, allList) = (tensor(before), tensor(clickedBefore), tensor(after), tensor(listInBatch));
        // Leaving trades off against the examination logits (both lower later clicks), and from the start, where θ = 0
        // over-predicts the later positions' clicks, it would be taken for leaving: the click model is fitted alone
        // first, then leaving with it (without the first stage a world where nobody leaves was fitted a mean leaving of 0.4).
        for (int epoch = 0; epoch < (settings.Exit ? 2 : 1) * settings.Epochs; epoch++)
        {
            bool leaving = epoch >= settings.Epochs;
            foreach (var (list0, list1) in batches)
            {
                using var step = NewDisposeScope();
                int start = data.ListStart[list0], size = data.ListStart[list1] - start;
                int e0 = data.EntryStart[start], e1 = data.EntryStart[start + size];
                Tensor Linear(Tensor sparse, Tensor dense, Tensor bias) => zeros(size)
                    .index_add(0, allRow.narrow(0, e0, e1 - e0), sparse.index_select(0, allIndex.narrow(0, e0, e1 - e0)).mul(allWeight.narrow(0, e0, e1 - e0)), Scalars.One)
                    .Plus(bias).Plus(allDense.narrow(0, start, size).matmul(dense));
                var attractive = Linear(wp, dwp, bp);
                var z = attractive.Plus(allLoads.narrow(0, start, size).matmul(lwp));
                var c = sigmoid(thetap.index_select(0, allPosition.narrow(0, start, size))).mul(sigmoid(z)).clamp(low, high);
                var y = allClick.narrow(0, start, size);
                // Rows up to a list's last click: Bernoulli(c); a list without a click: every row.
                var bernoulli = y.mul(c.log()).Plus(y.OneMinus().mul(c.OneMinus().log()));
                var logLikelihood = (leaving ? allBefore.narrow(0, start, size).mul(bernoulli) : bernoulli).sum();
                if (leaving)
                {
                    var stay = sigmoid(Linear(up, dup, ep).Plus(attractive.detach().mul(kp))).clamp(low, high).OneMinus(); // 1 − leave
                    // The user stayed after every click before the last one ...
                    logLikelihood = logLikelihood.Plus(allClickedBefore.narrow(0, start, size).mul(stay.log()).sum());
                    // ... and after the last click at m either left or clicked nothing more: leave_m + (1 − leave_m) Π_{l>m} (1 − c_l).
                    var noMore = zeros(list1 - list0).index_add(0, allList.narrow(0, start, size),
                        allAfter.narrow(0, start, size).mul(c.OneMinus().log()), Scalars.One);
                    var clicked = Enumerable.Range(list0, list1 - list0).Where(n => data.LastClick[n] >= 0).ToArray();
                    if (clicked.Length > 0)
                    {
                        var lastRow = tensor(clicked.Select(n => (long)(data.LastClick[n] - start)).ToArray());
                        var stayLast = stay.index_select(0, lastRow);
                        var tail = stayLast.OneMinus().Plus(stayLast.mul(noMore.index_select(0, tensor(clicked.Select(n => (long)(n - list0)).ToArray())).exp()));
                        logLikelihood = logLikelihood.Plus(tail.clamp_min(tiny).log().sum());
                    }
                }
                var l2 = penalised.Aggregate(zeros(1).sum(), (sum, w) => sum.Plus(w.square().sum()));
                var loss = logLikelihood.neg().DividedBy(size).Plus(l2.Times(penalty));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }
        return (new Weights(wp.data<float>().ToArray(), dwp.data<float>().ToArray(), bp.data<float>()[0]),
            settings.Exit ? new Weights(up.data<float>().ToArray(), dup.data<float>().ToArray(), ep.data<float>()[0], kp.data<float>()[0]) : Weights.Zero,
            lwp.data<float>().ToArray(), thetap.data<float>().ToArray());
    }

    public IListClicks For(LoggedSlate slate) => new ListClicks(this, slate);

    private double Standardise(int d, double value) => Math.Clamp((value - denseMean[d]) / denseScale[d], -5, 5);

    /// <summary>A linear logit over the candidate's sparse and dense features (no loads).</summary>
    private double Logit(Weights w, LoggedSlate slate, int candidate)
    {
        double z = w.Bias;
        foreach (var (key, x) in layout.Sparse(slate, candidate))
            if (features.TryGetValue(key, out int k)) z += w.Sparse[k] * x;
        for (int d = 0; d < layout.DenseFields.Length; d++)
            if (layout.Dense(slate, candidate, d) is { } v) z += w.Dense[d] * Standardise(d, v);
            else if (features.TryGetValue(new FeatureKey(Layout.MissingField(d), LoggedItem.Missing, -1, ""), out int k)) z += w.Sparse[k];
        return z;
    }

    /// <summary>The load features of <paramref name="candidate"/> after the first <paramref name="length"/> items of
    /// <paramref name="prefix"/>, field-major then decay.</summary>
    private double[] Loads(LoggedSlate slate, IReadOnlyList<int> prefix, int length, int candidate)
    {
        var result = new double[layout.LoadFields.Length * decays.Length];
        for (int f = 0; f < layout.LoadFields.Length; f++)
        {
            string field = layout.LoadFields[f];
            var mine = slate.Request.Candidates[candidate][field];
            for (int j = 0; j < length; j++)
            {
                var theirs = slate.Request.Candidates[prefix[j]][field];
                int shared = 0;
                foreach (string v in mine) if (Array.IndexOf(theirs, v) >= 0) shared++;
                if (shared == 0) continue;
                double overlap = (double)shared / mine.Length;
                for (int d = 0; d < decays.Length; d++) result[f * decays.Length + d] += Math.Pow(decays[d], length - j - 1) * overlap;
            }
        }
        return result;
    }

    /// <summary>
    /// The model on one list: each candidate's click and leave logits before the loads computed once, and the chance of
    /// being still there after the last prefix asked about (slates are asked about position by position).
    /// </summary>
    private sealed class ListClicks : IListClicks
    {
        private readonly FittedClickModel model;
        private readonly LoggedSlate slate;
        private readonly double?[] clickLogit, leave;
        private readonly List<int> cachedPrefix = [];
        private readonly List<double> cachedStill = [1];

        public ListClicks(FittedClickModel model, LoggedSlate slate)
        {
            this.model = model;
            this.slate = slate;
            clickLogit = new double?[slate.Candidates];
            leave = new double?[slate.Candidates];
        }

        // q̂(a_1..a_l) = B(a_1..a_l) · c(a_1..a_l)
        public double Click(IReadOnlyList<int> prefix, int candidate) => Still(prefix) * Browsing(prefix, prefix.Count, candidate);

        /// <summary>c: the click on <paramref name="candidate"/> after the first <paramref name="length"/> items of the prefix, if still there.</summary>
        private double Browsing(IReadOnlyList<int> prefix, int length, int candidate)
        {
            double z = clickLogit[candidate] ??= model.Logit(model.click, slate, candidate);
            var loads = model.Loads(slate, prefix, length, candidate);
            for (int k = 0; k < loads.Length; k++) z += model.loadWeights[k] * loads[k];
            int p = Math.Min(length, model.examination.Length - 1);
            return SimRandom.Sigmoid(model.examination[p]) * SimRandom.Sigmoid(z);
        }

        /// <summary>B = Π_j (1 − c_j leave_j) over the prefix, extending the longest cached prefix it starts with.</summary>
        private double Still(IReadOnlyList<int> prefix)
        {
            if (!model.exit) return 1;
            int common = 0;
            while (common < prefix.Count && common < cachedPrefix.Count && cachedPrefix[common] == prefix[common]) common++;
            cachedPrefix.RemoveRange(common, cachedPrefix.Count - common);
            cachedStill.RemoveRange(common + 1, cachedStill.Count - common - 1);
            for (int j = common; j < prefix.Count; j++)
            {
                int a = prefix[j];
                double leaving = leave[a] ??= model.Leave(slate, a);
                cachedPrefix.Add(a);
                cachedStill.Add(cachedStill[j] * (1 - Browsing(prefix, j, a) * leaving));
            }
            return cachedStill[prefix.Count];
        }
    }

    /// <summary>A linear logit's weights: one per sparse feature, one per dense field, and a bias.</summary>
    /// <remarks>A leaving logit also takes <paramref name="OnAttraction"/> × the click's logit before the loads.</remarks>
    private sealed record Weights(float[] Sparse, float[] Dense, float Bias, float OnAttraction = 0)
    {
        public static Weights Zero { get; } = new([], [], 0);
    }

    /// <summary>The fitting rows, lists together in position order: CSR sparse entries, dense and load features, position,
    /// click, each row's list; per list its first row and its last clicked row (−1: none, or leaving is off).</summary>
    private sealed class FitRows(int rows, int denseCount, int loadCount, int lists)
    {
        public int DenseCount { get; } = denseCount;
        public int LoadCount { get; } = loadCount;
        public int[] EntryStart { get; } = new int[rows + 1];
        public List<(int Feature, float Weight)> Entries { get; set; } = [];
        public float[] Dense { get; } = new float[rows * denseCount];
        public float[] Loads { get; } = new float[rows * loadCount];
        public int[] Position { get; } = new int[rows];
        public int[] List { get; } = new int[rows];
        public float[] Click { get; } = new float[rows];
        public int[] ListStart { get; } = new int[lists + 1];
        public int[] LastClick { get; } = new int[lists];

        /// <summary>A linear logit of row <paramref name="r"/>'s sparse and dense features (no loads).</summary>
        public double Logit(Weights w, int r)
        {
            double z = w.Bias;
            for (int e = EntryStart[r]; e < EntryStart[r + 1]; e++) z += w.Sparse[Entries[e].Feature] * Entries[e].Weight;
            for (int d = 0; d < DenseCount; d++) z += w.Dense[d] * Dense[r * DenseCount + d];
            return z;
        }
    }

    /// <summary>A sparse feature: a field's value, or a cross of two (Other ≥ 0).</summary>
    private readonly record struct FeatureKey(int Field, string Value, int Other, string OtherValue);

    /// <summary>Which fields play which part, by name, from the data's schema.</summary>
    private sealed record Layout(string[] UserFields, string[] ContextFields, string[] ItemFields, string? UserKey, string[] LoadFields,
        (FieldGroup Group, string Name)[] DenseFields)
    {
        /// <summary>Field ids: user, context, item fields in that order (crosses name two of them).</summary>
        private string[] All => [.. UserFields, .. ContextFields, .. ItemFields];

        public static Layout Of(ListSchema schema)
        {
            var fields = schema.Fields.Where(f => !f.Derived).ToList();
            string[] Categorical(FieldGroup group) => fields.Where(f => f.Group == group && f.Kind == FieldKind.Categorical
                && !(group == FieldGroup.Context && f.Name == Ranking.SlateRanker.PositionField)).Select(f => f.Name).ToArray();
            var items = Categorical(FieldGroup.Item);
            string key = schema.Fields[schema.FirstItemField].Name;
            var user = Categorical(FieldGroup.User);
            return new Layout(user, Categorical(FieldGroup.Context), items,
                schema.UserCount > 0 && schema.Fields[0].Kind == FieldKind.Categorical ? schema.Fields[0].Name : null,
                items.Where(f => f != key).ToArray(),
                fields.Where(f => f.Kind == FieldKind.Dense).Select(f => (f.Group, f.Name)).ToArray());
        }

        /// <summary>The pseudo-field id of a dense field's missing indicator.</summary>
        public static int MissingField(int dense) => -2 - dense;

        public double? Dense(LoggedSlate slate, int candidate, int d)
        {
            var (group, name) = DenseFields[d];
            var map = group switch
            {
                FieldGroup.User => slate.Request.User,
                FieldGroup.Context => slate.Request.Context,
                _ => slate.Request.Candidates[candidate],
            };
            return map.TryGetValue(name, out var set) && DenseValue.TryRead(set[0], out double v) ? v : null;
        }

        /// <summary>The sparse features of a candidate in a list and their weights (a set's values share 1).</summary>
        public IEnumerable<(FeatureKey Key, float Weight)> Sparse(LoggedSlate slate, int candidate)
        {
            var all = All;
            var request = slate.Request;
            var item = request.Candidates[candidate];
            string[] Values(int f) => f < UserFields.Length ? request.User[all[f]]
                : f < UserFields.Length + ContextFields.Length ? request.Context[all[f]] : item[all[f]];
            for (int f = 0; f < all.Length; f++)
            {
                var set = Values(f);
                foreach (string v in set) yield return (new FeatureKey(f, v, -1, ""), 1f / set.Length);
            }
            int firstItem = UserFields.Length + ContextFields.Length;
            var crossed = new List<int>(ContextFields.Select((_, k) => UserFields.Length + k));
            if (UserKey is not null) crossed.Insert(0, Array.IndexOf(all, UserKey));
            foreach (int f in crossed)
                for (int g = firstItem; g < all.Length; g++)
                {
                    if (!LoadFields.Contains(all[g])) continue; // the item key is not crossed
                    var (a, b) = (Values(f), Values(g));
                    foreach (string u in a)
                        foreach (string v in b) yield return (new FeatureKey(f, u, g, v), 1f / (a.Length * b.Length));
                }
        }
    }
}
