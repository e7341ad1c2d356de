using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace Drlrec.Onnx;

/// <summary>
/// Appends ONNX nodes to a <see cref="GraphProto"/> (default domain) and names every intermediate value. Weights come
/// from TorchSharp tensors and become float32 initializers; int64 and float constants are shared initializers too.
/// Each operator method returns the name of its output.
/// </summary>
internal sealed class GraphBuilder
{
    private readonly Dictionary<string, string> constants = new(StringComparer.Ordinal);
    private int counter;

    public GraphBuilder(string name) => Graph = new GraphProto { Name = name };

    public GraphProto Graph { get; }

    // ---- Graph interface -------------------------------------------------------------------------------------------

    /// <summary>Declares a graph input; a dimension is a long (fixed) or a string (named, dynamic).</summary>
    public string Input(string name, DataType type, params object[] dims)
    {
        Graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="name"/> (renaming it by an Identity).</summary>
    public void Output(string name, string value, DataType type, params object[] dims)
    {
        if (value != name) Node("Identity", [value], [name]);
        Graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>A float32 initializer holding a (detached, CPU) copy of a tensor.</summary>
    public string Weight(string name, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        var proto = new TensorProto { Name = name, DataType = (int)DataType.Float };
        proto.Dims.AddRange(cpu.shape);
        proto.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
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

    public string[] Op(string type, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var names = Enumerable.Range(0, outputs).Select(i => $"{type}_{counter}{(outputs > 1 ? $"_{i}" : "")}").ToArray();
        counter++;
        Node(type, inputs, names, attributes);
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

    public static AttributeProto Attribute(string name, string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    // ---- Plumbing --------------------------------------------------------------------------------------------------

    private void Node(string type, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = type, Name = $"{outputs[0]}_node" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
    }

    private string Constant(string name, DataType type, long[] dims, Action<TensorProto> fill)
    {
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
