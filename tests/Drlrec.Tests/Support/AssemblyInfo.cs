// libtorch's random generator is process-wide (weights init, dropout): tests that seed it must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
