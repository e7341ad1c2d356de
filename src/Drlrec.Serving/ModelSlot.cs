namespace Drlrec.Serving;

/// <summary>One loaded model with what reads requests for it: a pool and its request reader, lent to requests.</summary>
public sealed class ServedModel
{
    // The slot's own lease plus one per request in flight; at zero the pool is disposed.
    private int leases = 1;

    internal ServedModel(RankerPool pool, ServeOptions options)
    {
        Pool = pool;
        Reader = new RankRequestReader(pool.Schema, options);
    }

    public RankerPool Pool { get; }
    public RankRequestReader Reader { get; }
    public ModelInfo Info => Pool.Info;

    /// <summary>Takes a lease unless the model has already been retired and released by everyone.</summary>
    internal bool TryAcquire()
    {
        for (int n = Volatile.Read(ref leases); n > 0; n = Volatile.Read(ref leases))
            if (Interlocked.CompareExchange(ref leases, n + 1, n) == n) return true;
        return false;
    }

    /// <summary>Gives a lease back; the last one disposes the pool.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref leases) == 0) Pool.Dispose();
    }
}

/// <summary>A request's hold on the model it started with: the model stays loaded until every holder is done.</summary>
public readonly struct ModelLease(ServedModel model) : IDisposable
{
    public ServedModel Model { get; } = model;
    public void Dispose() => Model.Release();
}

/// <summary>
/// The model the service ranks with, replaceable while it serves (<c>POST /admin/reload</c>): the new checkpoint is
/// loaded and every scorer warmed before it takes over; requests that started on the old model finish on it, and the
/// old model is disposed when the last of them is done. A checkpoint that does not load or warm up, or an ONNX graph
/// that is not the new checkpoint's, is refused and the current model keeps serving. One reload at a time.
/// </summary>
public sealed class ModelSlot : IDisposable
{
    private readonly ScorerFactory? factory;
    private readonly SemaphoreSlim reloading = new(1, 1);
    private ServedModel current;
    // The settings the current model was loaded with: its checkpoint and, for the onnx backend, its graph.
    private ServeOptions served;

    public ModelSlot(ServeOptions options, ScorerFactory? factory = null)
    {
        this.factory = factory;
        served = options;
        current = new ServedModel(new RankerPool(options, factory), options);
    }

    public ServedModel Current => Volatile.Read(ref current);

    /// <summary>Leases the current model for one request.</summary>
    public ModelLease Acquire()
    {
        while (true)
        {
            var model = Current;
            if (model.TryAcquire()) return new ModelLease(model);
        }
    }

    /// <summary>Loads and warms <paramref name="model"/> (default: the path served now, e.g. after its file was
    /// replaced), then makes it the current model. With the onnx backend the graph is <paramref name="onnx"/> (default: the
    /// graph served now, read again), and it must have been exported from the new checkpoint.</summary>
    /// <exception cref="InvalidDataException">The checkpoint is corrupted, its scores are not finite, or the graph is
    /// another model's (<see cref="Drlrec.Onnx.OnnxBinding"/>).</exception>
    /// <exception cref="FileNotFoundException">No model (or graph) at the path.</exception>
    public async Task<ModelInfo> ReloadAsync(string? model, string? onnx, CancellationToken cancel)
    {
        await reloading.WaitAsync(cancel);
        try
        {
            // Loading and warming take seconds: off the request threads' hot path, but one at a time.
            var next = served with { Model = model ?? served.Model, OnnxFile = onnx ?? served.OnnxFile };
            var pool = await Task.Run(() => new RankerPool(next, factory), cancel);
            var loaded = new ServedModel(pool, next);
            served = next;
            var old = Interlocked.Exchange(ref current, loaded);
            old.Release();
            return loaded.Info;
        }
        finally
        {
            reloading.Release();
        }
    }

    public void Dispose()
    {
        Current.Release();
        reloading.Dispose();
    }
}
