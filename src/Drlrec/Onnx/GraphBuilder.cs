using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace Drlrec.Onnx;

/// <summary>
/// Appends ONNX nodes to a <see cref="GraphProto"/> (default domain unless an operator names another) and names every
/// intermediate value. Weights come from TorchSharp tensors and become float32 (or int8) initializers; int64 and float
/// constants are shared initializers too. Each operator method returns the name of its output. A <see cref="Subgraph"/>
/// (the body of a Loop) appends its nodes to a graph of its own but keeps every weight and constant in the root graph,
/// where the body reads them from the outer scope; its values carry a prefix of their own so that no name is reused
/// across scopes (ONNX graphs are single static assignment, nested scopes included).
/// </summary>
internal sealed class GraphBuilder
{
    /// <summary>ONNX Runtime's contrib operator domain.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    private readonly Dictionary<string, string> constants = new(StringComparer.Ordinal);
    private readonly GraphBuilder? root;
    private readonly HashSet<string> domains = new(StringComparer.Ordinal);
    private readonly string prefix;
    private int counter;

    public GraphBuilder(string name) : this(name, null, "")
    {
    }

    private GraphBuilder(string name, GraphBuilder? root, string prefix)
    {
        Graph = new GraphProto { Name = name };
        this.root = root;
        this.prefix = prefix;
    }

    public GraphProto Graph { get; }

    /// <summary>Operator domains other than the default one used by this graph or its subgraphs (for the model's opset imports).</summary>
    public IReadOnlyCollection<string> Domains => (root ?? this).domains;

    /// <summary>A builder for a subgraph (a Loop body) whose values are prefixed with <paramref name="valuePrefix"/>;
    /// its weights and constants go to the root graph.</summary>
    public GraphBuilder Subgraph(string name, string valuePrefix) => new(name, root ?? this, valuePrefix);

    // ---- Graph interface -------------------------------------------------------------------------------------------

    /// <summary>Declares a graph input; a dimension is a long (fixed) or a string (named, dynamic); no dimensions at
    /// all declare a scalar.</summary>
    public string Input(string name, DataType type, params object[] dims)
    {
        Graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a subgraph input of a known type and rank whose dimensions are all unknown (a Loop-carried value
    /// may change shape between iterations).</summary>
    public string InputOfRank(string name, DataType type, int rank)
    {
        Graph.Input.Add(ValueInfo(name, type, Enumerable.Range(0, rank).Select(_ => (object)"").ToArray()));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="name"/> (renaming it by an Identity).</summary>
    public void Output(string name, string value, DataType type, params object[] dims)
    {
        if (value != name) Node("Identity", [value], [name], []);
        Graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary><see cref="Output"/> of a known type and rank whose dimensions are all unknown (subgraph outputs).</summary>
    public void OutputOfRank(string name, string value, DataType type, int rank) =>
        Output(name, value, type, Enumerable.Range(0, rank).Select(_ => (object)"").ToArray());

    /// <summary>A float32 initializer holding a (detached, CPU) copy of a tensor.</summary>
    public string Weight(string name, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        float[] values = cpu.numel() == 0 ? [] : cpu.data<float>().ToArray(); // TorchSharp cannot copy out an empty tensor
        return Initializer(name, DataType.Float, cpu.shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>An int8 initializer (quantised weights).</summary>
    public string Int8Weight(string name, sbyte[] values, params long[] dims) =>
        Initializer(name, DataType.Int8, dims, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));

    private string Initializer(string name, DataType type, long[] dims, ReadOnlySpan<byte> bytes)
    {
        if (root is not null) return root.Initializer(name, type, dims, bytes);
        var proto = new TensorProto { Name = name, DataType = (int)type };
        proto.Dims.AddRange(dims);
        proto.RawData = ByteString.CopyFrom(bytes);
        Graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, indices).</summary>
    public string Ints(params long[] values) => Constant($"ints_{string.Join('_', values).Replace('-', 'm')}", DataType.Int64,
        [values.Length], proto => proto.Int64Data.AddRange(values));

    /// <summary>A scalar int64 constant (an index that drops its axis in Gather).</summary>
    public string Index(long value) => Constant($"index_{value}", DataType.Int64, [], proto => proto.Int64Data.Add(value));

    /// <summary>A scalar float constant (broadcasts in elementwise operators).</summary>
    public string Scalar(float value) => Constant($"float_{BitConverter.SingleToInt32Bits(value):x8}", DataType.Float, [],
        proto => proto.FloatData.Add(value));

    // ---- Operators -------------------------------------------------------------------------------------------------

    public string Op(string type, string[] inputs, params AttributeProto[] attributes) => Op(type, inputs, 1, attributes)[0];

    public string[] Op(string type, string[] inputs, int outputs, params AttributeProto[] attributes) =>
        DomainOp("", type, inputs, outputs, attributes);

    /// <summary>An operator of another domain (e.g. <see cref="MicrosoftDomain"/>); the domain is recorded for the opset imports.</summary>
    public string[] DomainOp(string domain, string type, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var names = Enumerable.Range(0, outputs).Select(i => $"{prefix}{type}_{counter}{(outputs > 1 ? $"_{i}" : "")}").ToArray();
        counter++;
        Node(type, inputs, names, attributes, domain);
        if (domain.Length > 0) (root ?? this).domains.Add(domain);
        return names;
    }

    public string Add(string a, string b) => Op("Add", [a, b]);
    public string Sub(string a, string b) => Op("Sub", [a, b]);
    public string Mul(string a, string b) => Op("Mul", [a, b]);
    public string Div(string a, string b) => Op("Div", [a, b]);
    public string Max(string a, string b) => Op("Max", [a, b]);
    public string MatMul(string a, string b) => Op("MatMul", [a, b]);
    public string Tanh(string x) => Op("Tanh", [x]);
    public string Sigmoid(string x) => Op("Sigmoid", [x]);
    public string Softmax(string x) => Op("Softmax", [x], Attribute("axis", -1));
    public string Where(string condition, string x, string y) => Op("Where", [condition, x, y]);
    public string Greater(string a, string b) => Op("Greater", [a, b]);
    public string LessOrEqual(string a, string b) => Op("LessOrEqual", [a, b]);
    public string Cast(string x, DataType to) => Op("Cast", [x], Attribute("to", (long)to));
    public string Reshape(string x, params long[] shape) => Op("Reshape", [x, Ints(shape)]);
    public string Transpose(string x, params long[] perm) => Op("Transpose", [x], Attribute("perm", perm));
    public string Unsqueeze(string x, params long[] axes) => Op("Unsqueeze", [x, Ints(axes)]);
    public string Squeeze(string x, params long[] axes) => Op("Squeeze", [x, Ints(axes)]);
    public string Concat(long axis, params string[] inputs) => Op("Concat", inputs, Attribute("axis", axis));
    public string Gather(string data, string indices, long axis) => Op("Gather", [data, indices], Attribute("axis", axis));
    public string Shape(string x) => Op("Shape", [x]);
    public string Not(string x) => Op("Not", [x]);
    public string And(string a, string b) => Op("And", [a, b]);
    public string Equal(string a, string b) => Op("Equal", [a, b]);
    public string Min(string a, string b) => Op("Min", [a, b]);

    /// <summary>Index of the first largest element along <paramref name="axis"/> (the axis is dropped).</summary>
    public string ArgMax(string x, long axis) => Op("ArgMax", [x], Attribute("axis", axis), Attribute("keepdims", 0L),
        Attribute("select_last_index", 0L));

    /// <summary>Dimension <paramref name="axis"/> of <paramref name="x"/> as an int64 scalar.</summary>
    public string Dim(string x, long axis) => Gather(Shape(x), Index(axis), axis: 0);

    public string ReduceSum(string x, long axis, bool keepDims) =>
        Op("ReduceSum", [x, Ints(axis)], Attribute("keepdims", keepDims ? 1 : 0));

    /// <summary>Elements [start, end) of one axis (negative positions count from the end).</summary>
    public string Slice(string x, long axis, long start, long end) => Op("Slice", [x, Ints(start), Ints(end), Ints(axis)]);

    /// <summary>Splits the last axis into equal parts of <paramref name="size"/>.</summary>
    public string[] SplitLast(string x, int parts, long size) =>
        Op("Split", [x, Ints(Enumerable.Repeat(size, parts).ToArray())], parts, Attribute("axis", -1));

    // ---- Attributes ------------------------------------------------------------------------------------------------

    public static AttributeProto Attribute(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    public static AttributeProto Attribute(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    public static AttributeProto Attribute(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Attribute(string name, GraphProto graph) => new() { Name = name, Type = AttributeType.Graph, G = graph };

    public static AttributeProto Attribute(string name, TensorProto tensor) => new() { Name = name, Type = AttributeType.Tensor, T = tensor };

    public static AttributeProto Attribute(string name, string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    // ---- Plumbing --------------------------------------------------------------------------------------------------

    private void Node(string type, string[] inputs, string[] outputs, AttributeProto[] attributes, string domain = "")
    {
        var node = new NodeProto { OpType = type, Name = $"{outputs[0]}_node", Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
    }

    private string Constant(string name, DataType type, long[] dims, Action<TensorProto> fill)
    {
        if (root is not null) return root.Constant(name, type, dims, fill);
        if (constants.TryGetValue(name, out var existing)) return existing;
        var proto = new TensorProto { Name = name, DataType = (int)type };
        proto.Dims.AddRange(dims);
        fill(proto);
        Graph.Initializer.Add(proto);
        constants[name] = name;
        return name;
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim switch
            {
                "" => new TensorShapeProto.Types.Dimension(),
                string param => new TensorShapeProto.Types.Dimension { DimParam = param },
                _ => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) },
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
