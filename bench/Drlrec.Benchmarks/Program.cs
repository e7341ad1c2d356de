using BenchmarkDotNet.Running;

// Run: dotnet run -c Release --project bench/Drlrec.Benchmarks -- --filter '*'
// (a full run takes a few minutes; results land in BenchmarkDotNet.Artifacts/ under the current folder).
BenchmarkSwitcher.FromAssembly(typeof(Drlrec.Benchmarks.SlateRankerBenchmarks).Assembly).Run(args);
