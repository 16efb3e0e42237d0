/// One GPU's figures from one `nvidia-smi` query.
public struct GPUSample: Sendable, Equatable {
    /// nvidia-smi's index of the GPU on its host.
    public var gpu: Int
    /// `utilization.gpu` in percent; nil when nvidia-smi reports `[N/A]` or the like.
    public var utilizationPercent: Double?
    public var memoryUsedMiB: Int?
    public var memoryTotalMiB: Int?

    public init(gpu: Int, utilizationPercent: Double?, memoryUsedMiB: Int?, memoryTotalMiB: Int?) {
        self.gpu = gpu
        self.utilizationPercent = utilizationPercent
        self.memoryUsedMiB = memoryUsedMiB
        self.memoryTotalMiB = memoryTotalMiB
    }
}

/// How the worker asks `nvidia-smi` about the GPUs, and how it reads and forwards the answer.
public enum NvidiaSMI {
    /// The program looked up on `PATH`.
    public static let program = "nvidia-smi"

    /// One line per GPU: `index, utilization %, memory used MiB, memory total MiB`.
    public static let arguments = [
        "--query-gpu=index,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits",
    ]

    /// The reason recorded in `turing.workers.gpu_sampling` when the program is not on `PATH`
    /// (migration 091's `turing.gpu_utilization` recognises exactly this text).
    public static let notFound = "nvidia-smi not found on PATH"

    /// Parses the output of `arguments`: lines like `0, 37, 1024, 24576`. A figure nvidia-smi cannot give
    /// (`[N/A]`, `[Not Supported]`) becomes nil; a line without a whole-number index is skipped.
    public static func parse(_ output: String) -> [GPUSample] {
        output.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingASCIIWhitespace() }
            guard fields.count >= 4, let gpu = Int(fields[0]), gpu >= 0 else { return nil }
            let utilization = Double(fields[1]).flatMap { (0...100).contains($0) ? $0 : nil }
            let used = Int(fields[2]).flatMap { $0 >= 0 ? $0 : nil }
            let total = Int(fields[3]).flatMap { $0 >= 0 ? $0 : nil }
            return GPUSample(gpu: gpu, utilizationPercent: utilization, memoryUsedMiB: used, memoryTotalMiB: total)
        }
    }

    /// The samples as the JSON array `turing.record_gpu_samples` takes:
    /// `[{"gpu":0,"utilization_percent":37,"memory_used_mib":1024,"memory_total_mib":24576}]`.
    public static func json(_ samples: [GPUSample]) -> String {
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
        func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }
        let objects = samples.map { sample in
            #"{"gpu":\#(sample.gpu),"utilization_percent":\#(number(sample.utilizationPercent)),"#
                + #""memory_used_mib":\#(number(sample.memoryUsedMiB)),"memory_total_mib":\#(number(sample.memoryTotalMiB))}"#
        }
        return "[" + objects.joined(separator: ",") + "]"
    }
}
