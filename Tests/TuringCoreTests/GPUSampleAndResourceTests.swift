import Testing
@testable import TuringCore

@Suite("nvidia-smi samples")
struct NvidiaSMITests {
    @Test("parses nvidia-smi's csv lines; [N/A] figures become nil; lines without an index are skipped")
    func parse() {
        let output = "0, 37, 1024, 24576\n1, [N/A], 20000, 24576\r\n2, 100, [Not Supported], 81920\n\nNo devices were found\n3, 250, -1, 5\n"
        #expect(NvidiaSMI.parse(output) == [
            GPUSample(gpu: 0, utilizationPercent: 37, memoryUsedMiB: 1024, memoryTotalMiB: 24576),
            GPUSample(gpu: 1, utilizationPercent: nil, memoryUsedMiB: 20000, memoryTotalMiB: 24576),
            GPUSample(gpu: 2, utilizationPercent: 100, memoryUsedMiB: nil, memoryTotalMiB: 81920),
            GPUSample(gpu: 3, utilizationPercent: nil, memoryUsedMiB: nil, memoryTotalMiB: 5),
        ])
        #expect(NvidiaSMI.parse("").isEmpty)
        #expect(NvidiaSMI.parse("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.").isEmpty)
    }

    @Test("encodes the JSON record_gpu_samples takes, null for missing figures")
    func json() {
        #expect(NvidiaSMI.json([]) == "[]")
        #expect(NvidiaSMI.json([
            GPUSample(gpu: 0, utilizationPercent: 37, memoryUsedMiB: 1024, memoryTotalMiB: 24576),
            GPUSample(gpu: 1, utilizationPercent: 12.5, memoryUsedMiB: nil, memoryTotalMiB: nil),
        ]) == #"[{"gpu":0,"utilization_percent":37,"memory_used_mib":1024,"memory_total_mib":24576},"#
            + #"{"gpu":1,"utilization_percent":12.5,"memory_used_mib":null,"memory_total_mib":null}]"#)
    }
}

@Suite("WorkerSettings.resolve: --resource")
struct ResourceSettingTests {
    @Test("--resource, else TURING_RESOURCE, else none; an empty flag is an error naming the variable")
    func resolve() throws {
        #expect(try WorkerSettings.resolve(flags: WorkerFlags(), environment: [:]).resource == nil)
        #expect(try WorkerSettings.resolve(flags: WorkerFlags(), environment: ["TURING_RESOURCE": " gpu0 "]).resource == "gpu0")
        #expect(try WorkerSettings.resolve(flags: WorkerFlags(), environment: ["TURING_RESOURCE": " "]).resource == nil)
        var flags = WorkerFlags()
        flags.resource = "gpu1"
        #expect(try WorkerSettings.resolve(flags: flags, environment: ["TURING_RESOURCE": "gpu0"]).resource == "gpu1")
        flags.resource = " "
        let error = #expect(throws: ConfigurationError.self) { try WorkerSettings.resolve(flags: flags, environment: [:]) }
        #expect(error?.message.contains("TURING_RESOURCE") == true)
        #expect(WorkerOption.resource.flagAndVariable == "--resource (or TURING_RESOURCE)")
    }
}
