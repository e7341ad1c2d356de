using System.Net;
using System.Net.Sockets;

namespace Drlrec.Testing;

/// <summary>
/// Serves fixed responses on 127.0.0.1 at a free port, so download code runs against real HTTP without the
/// internet. Unknown paths get 404. Counts requests so a test can check that nothing was downloaded.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files;
    private readonly Task _loop;
    private int _requests;

    public LoopbackHttpServer(Dictionary<string, byte[]> files)
    {
        _files = files;
        int port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; }

    public int Requests => Volatile.Read(ref _requests);

    public Uri UrlOf(string path) => new(BaseAddress, path);

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            Interlocked.Increment(ref _requests);
            using var response = context.Response;
            if (_files.TryGetValue(context.Request.Url!.AbsolutePath, out var body))
            {
                response.StatusCode = 200;
                response.ContentType = "application/zip";
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body);
            }
            else
            {
                response.StatusCode = 404;
            }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
