using System.IO.Pipes;
using Drlrec.Distributed;

namespace Drlrec.Tests.Distributed;

/// <summary>What a failing rank waits for before MPI_Abort: the bytes still unread in its output pipes.</summary>
public sealed class ForwardedOutputTests
{
    [Fact]
    public void Unread_counts_the_bytes_waiting_in_a_pipe_until_they_are_read()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var writer = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, writer.ClientSafePipeHandle);
        int fd = (int)writer.SafePipeHandle.DangerousGetHandle();
        Assert.Equal(0, ForwardedOutput.Unread(fd));

        writer.Write("error: the reason\n"u8);
        writer.Flush();
        Assert.Equal(18, ForwardedOutput.Unread(fd));

        var buffer = new byte[18];
        reader.ReadExactly(buffer);
        Assert.Equal(0, ForwardedOutput.Unread(fd));
    }

    [Fact]
    public void A_file_is_not_a_pipe_and_has_nothing_to_wait_for()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            file.Write(new byte[100]);
            file.Flush();
            Assert.Equal(0, ForwardedOutput.Unread((int)file.SafeFileHandle.DangerousGetHandle()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
