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
}

/// <summary>
/// The direct method's click model: a position-based model with list features, fitted by maximum likelihood on shown
/// items' clicks (any data: it reads only the schema's fields),
/// <code>
///   q̂(a_1..a_l) = σ(θ_l) · σ(b + Σ_k w_k x_k + Σ_f,d γ_fd · load_fd)
///   load_fd     = Σ over j &lt; l of d^(l − j − 1) · |V_f(a_j) ∩ V_f(a_l)| / |V_f(a_l)|
/// </code>
/// with θ_l an examination logit per position (the last fitted one beyond), x the row's features: one weight per
/// categorical value of every user, item and context field (<c>position</c> aside; a set's values share 1), per cross of
/// the user key with each other categorical item field and of each context field with each other categorical item field,
/// every dense field standardised (mean and standard deviation of the fitting rows, clipped to ±5; missing: 0 and a
/// missing weight); V_f(a) the values of a's categorical item field f (the item key aside) and d each of
/// <see cref="ClickModelSettings.Decays"/>. The loads make it a cascade model: the click at l depends on the items before
/// it, as same-category fatigue does. Fitted with Adam on the binary cross-entropy plus an L2 penalty, from zero weights,
/// in a seeded row order: the same rows and seed give the same model. Then each θ_l is set so that the mean prediction at
/// position l over the fitting rows is their click rate (calibration in the large; Adam's last steps leave the level a
/// few percent off, differently from fit to fit).
/// </summary>
public sealed class FittedClickModel : IClickModel
{
    private readonly Layout layout;
    private readonly Dictionary<FeatureKey, int> features;
    private readonly float[] weights, denseWeights, loadWeights, examination;
    private readonly double[] denseMean, denseScale;
    private readonly float bias;
    private readonly double[] decays;

    private FittedClickModel(Layout layout, Dictionary<FeatureKey, int> features, float[] weights, float[] denseWeights, float[] loadWeights,
        float[] examination, double[] denseMean, double[] denseScale, float bias, double[] decays)
    {
        (this.layout, this.features, this.weights, this.denseWeights, this.loadWeights, this.examination) =
            (layout, features, weights, denseWeights, loadWeights, examination);
        (this.denseMean, this.denseScale, this.bias, this.decays) = (denseMean, denseScale, bias, decays);
    }

    /// <summary>Examination logits θ_1.. (for reports and tests).</summary>
    public IReadOnlyList<float> Examination => examination;

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
        var partial = new FittedClickModel(layout, featureIndex, [], [], [], [], denseMean, denseScale, 0, decays);

        // The rows: sparse entries (CSR), dense and load features, position, click; in a seeded order.
        var order = Enumerable.Range(0, rows).ToArray();
        new Random(seed).Shuffle(order);
        var rowOf = new (int List, int Position)[rows];
        for (int i = 0, r = 0; i < lists.Count; i++)
            for (int c = 0; c < lists[i].Shown; c++) rowOf[r++] = (i, c);
        var entryStart = new int[rows + 1];
        var entries = new List<(int Feature, float Weight)>();
        var dense = new float[rows * layout.DenseFields.Length];
        var loadValues = new float[rows * loads];
        var position = new long[rows];
        var click = new float[rows];
        for (int k = 0; k < rows; k++)
        {
            var (i, c) = rowOf[order[k]];
            var slate = lists[i];
            entryStart[k] = entries.Count;
            foreach (var (key, w) in layout.Sparse(slate, c)) entries.Add((featureIndex[key], w));
            for (int d = 0; d < layout.DenseFields.Length; d++)
                if (layout.Dense(slate, c, d) is { } v) dense[k * layout.DenseFields.Length + d] = (float)partial.Standardise(d, v);
                else entries.Add((featureIndex[new FeatureKey(Layout.MissingField(d), LoggedItem.Missing, -1, "")], 1f));
            var prefix = Enumerable.Range(0, c).ToArray();
            var rowLoads = partial.Loads(slate, prefix, c);
            for (int j = 0; j < loads; j++) loadValues[k * loads + j] = (float)rowLoads[j];
            position[k] = c;
            click[k] = Math.Clamp(slate.Rewards[c], 0f, 1f);
        }
        entryStart[rows] = entries.Count;

        var (w0, dw0, lw0, theta0, b0) = Train(settings, featureIndex.Count, layout.DenseFields.Length, loads, positions, rows,
            entryStart, entries, dense, loadValues, position, click);
        // Calibration in the large per position: the last Adam steps leave the level of every prediction a few percent off,
        // differently from fit to fit; σ(θ_l) scales position l's predictions, so θ_l = logit(Σ clicks / Σ σ(z)) over the
        // fitting rows at l makes their mean prediction their click rate exactly.
        var attraction = new double[positions];
        var clicks = new double[positions];
        int denseCount = layout.DenseFields.Length;
        for (int r = 0; r < rows; r++)
        {
            double z = b0;
            for (int e = entryStart[r]; e < entryStart[r + 1]; e++) z += w0[entries[e].Feature] * entries[e].Weight;
            for (int d = 0; d < denseCount; d++) z += dw0[d] * dense[r * denseCount + d];
            for (int k = 0; k < loads; k++) z += lw0[k] * loadValues[r * loads + k];
            attraction[position[r]] += SimRandom.Sigmoid(z);
            clicks[position[r]] += click[r];
        }
        for (int l = 0; l < positions; l++)
            if (attraction[l] > 0)
            {
                double examined = Math.Clamp(clicks[l] / attraction[l], 1e-6, 1 - 1e-6);
                theta0[l] = (float)Math.Log(examined / (1 - examined));
            }
        return new FittedClickModel(layout, featureIndex, w0, dw0, lw0, theta0, denseMean, denseScale, b0, decays);
    }

    private static (float[], float[], float[], float[], float) Train(ClickModelSettings settings, int featureCount, int denseCount, int loadCount,
        int positions, int rows, int[] entryStart, List<(int Feature, float Weight)> entries, float[] dense, float[] loads, long[] position, float[] click)
    {
        using var scope = NewDisposeScope();
        double rate = Math.Clamp(click.Average(c => (double)c), 1e-3, 0.999);
        TorchSharp.Modules.Parameter Weights(long count, float value = 0) => new(full(Math.Max(1, count), value), requires_grad: true);
        // σ(θ) = 0.5 at the start, so the intercept starts at the logit of twice the click rate (capped).
        var (wp, dwp, lwp, thetap) = (Weights(featureCount), Weights(denseCount), Weights(loadCount), Weights(positions));
        var bp = Weights(1, (float)Math.Log(Math.Min(2 * rate, 0.999) / (1 - Math.Min(2 * rate, 0.999))));
        var optimizer = optim.Adam([wp, dwp, lwp, thetap, bp], settings.LearningRate);
        int batch = Math.Max(1, settings.BatchSize);
        double penalty = settings.L2 / rows;
        // Every row's features as tensors once; a step takes its rows' slice (rows are in a seeded random order already).
        var entryRow = new long[entries.Count];
        for (int r = 0; r < rows; r++)
            for (int e = entryStart[r]; e < entryStart[r + 1]; e++) entryRow[e] = r % batch; // its row within its step's rows
        var allIndex = tensor(entries.Select(e => (long)e.Feature).ToArray());
        var allWeight = tensor(entries.Select(e => e.Weight).ToArray());
        var allRow = tensor(entryRow);
        var allDense = tensor(dense, [rows, Math.Max(1, denseCount)]);
        var allLoads = tensor(loads, [rows, Math.Max(1, loadCount)]);
        if (denseCount == 0) allDense = zeros(rows, 1);
        if (loadCount == 0) allLoads = zeros(rows, 1);
        var allPosition = tensor(position);
        var allClick = tensor(click);
        for (int epoch = 0; epoch < settings.Epochs; epoch++)
        {
            for (int start = 0; start < rows; start += batch)
            {
                using var step = NewDisposeScope();
                int end = Math.Min(rows, start + batch), size = end - start;
                int e0 = entryStart[start], e1 = entryStart[end];
                var rowInBatch = allRow.narrow(0, e0, e1 - e0);
                var contributions = wp.index_select(0, allIndex.narrow(0, e0, e1 - e0)).mul(allWeight.narrow(0, e0, e1 - e0));
                var z = zeros(size).index_add(0, rowInBatch, contributions, Scalars.One).Plus(bp)
                    .Plus(allDense.narrow(0, start, size).matmul(dwp)).Plus(allLoads.narrow(0, start, size).matmul(lwp));
                var p = sigmoid(thetap.index_select(0, allPosition.narrow(0, start, size))).mul(sigmoid(z)).clamp(1e-6, 1 - 1e-6);
                var loss = nn.functional.binary_cross_entropy(p, allClick.narrow(0, start, size))
                    .Plus(wp.pow(2).sum().Plus(dwp.pow(2).sum()).Plus(lwp.pow(2).sum()).Times(penalty));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }
        return (wp.data<float>().ToArray(), dwp.data<float>().ToArray(), lwp.data<float>().ToArray(), thetap.data<float>().ToArray(), bp.data<float>()[0]);
    }

    public IListClicks For(LoggedSlate slate) => new ListClicks(this, slate);

    private double Standardise(int d, double value) => Math.Clamp((value - denseMean[d]) / denseScale[d], -5, 5);

    /// <summary>The load features of <paramref name="candidate"/> after <paramref name="prefix"/>, field-major then decay.</summary>
    private double[] Loads(LoggedSlate slate, IReadOnlyList<int> prefix, int candidate)
    {
        var result = new double[layout.LoadFields.Length * decays.Length];
        for (int f = 0; f < layout.LoadFields.Length; f++)
        {
            string field = layout.LoadFields[f];
            var mine = slate.Request.Candidates[candidate][field];
            for (int j = 0; j < prefix.Count; j++)
            {
                var theirs = slate.Request.Candidates[prefix[j]][field];
                int shared = 0;
                foreach (string v in mine) if (Array.IndexOf(theirs, v) >= 0) shared++;
                if (shared == 0) continue;
                double overlap = (double)shared / mine.Length;
                for (int d = 0; d < decays.Length; d++) result[f * decays.Length + d] += Math.Pow(decays[d], prefix.Count - j - 1) * overlap;
            }
        }
        return result;
    }

    /// <summary>The model on one list: each candidate's logit before the loads computed once.</summary>
    private sealed class ListClicks : IListClicks
    {
        private readonly FittedClickModel model;
        private readonly LoggedSlate slate;
        private readonly double?[] fixedLogit;

        public ListClicks(FittedClickModel model, LoggedSlate slate)
        {
            this.model = model;
            this.slate = slate;
            fixedLogit = new double?[slate.Candidates];
        }

        public double Click(IReadOnlyList<int> prefix, int candidate)
        {
            double z = fixedLogit[candidate] ??= FixedLogit(candidate);
            var loads = model.Loads(slate, prefix, candidate);
            for (int k = 0; k < loads.Length; k++) z += model.loadWeights[k] * loads[k];
            int p = Math.Min(prefix.Count, model.examination.Length - 1);
            return SimRandom.Sigmoid(model.examination[p]) * SimRandom.Sigmoid(z);
        }

        private double FixedLogit(int candidate)
        {
            var layout = model.layout;
            double z = model.bias;
            foreach (var (key, w) in layout.Sparse(slate, candidate))
                if (model.features.TryGetValue(key, out int k)) z += model.weights[k] * w;
            for (int d = 0; d < layout.DenseFields.Length; d++)
                if (layout.Dense(slate, candidate, d) is { } v) z += model.denseWeights[d] * model.Standardise(d, v);
                else if (model.features.TryGetValue(new FeatureKey(Layout.MissingField(d), LoggedItem.Missing, -1, ""), out int k)) z += model.weights[k];
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
