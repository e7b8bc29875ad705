// facet bench ops [--filter S] [-r N] [--json]: op throughput on the selected device.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "bench_ops.hpp"
#include "cli_common.hpp"
#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"

namespace facet::cli {

namespace {

struct BenchOptions {
  std::string filter;
  int repeat = 5;
  bool json = false;
};

bench::OpResult run_case(vk::Context& ctx, const bench::OpCase& c, int repeat) {
  Graph g(core_ops());
  std::map<std::string, HostTensor> inputs;
  c.build(g, inputs);
  Executor ex(ctx);
  ex.run(g, inputs);  // plan, upload weights, build pipelines, warm caches
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    ex.run(g, inputs);
    double total = 0;
    for (const auto& t : ex.last_stats().timings) total += t.ms;
    ms.push_back(total);
  }
  std::sort(ms.begin(), ms.end());
  return {c, ms[ms.size() / 2], ms.front(), ms.back()};
}

}  // namespace

void add_bench(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  add_bench_llm(bench, g, run);
  add_bench_pipeline(bench, g, run);
  add_bench_diffusion(bench, g, run);
  auto* ops = bench->add_subcommand("ops", "Time every core op on model-shaped problems (GPU timestamps)");
  auto o = std::make_shared<BenchOptions>();
  ops->add_option("--filter", o->filter, "Only cases whose name contains this");
  ops->add_option("-r,--repeat", o->repeat, "Timed repetitions per case (median reported)")->check(CLI::Range(1, 1000));
  ops->add_flag("--json", o->json, "Print JSON");
  ops->callback([&run, &g, o] {
    run = [&g, o] {
      vk::ContextOptions co;
      co.device = vk::resolve_device_selector(g.device, "");
      co.profiling = true;
      vk::Context ctx(co);
      if (!ctx.info().timestamps) throw GpuError(GpuError::Kind::Other, "device has no compute timestamps to time ops with");
      std::vector<bench::OpResult> results;
      for (const auto& c : bench::op_cases()) {
        if (!o->filter.empty() && c.name.find(o->filter) == std::string::npos) continue;
        results.push_back(run_case(ctx, c, o->repeat));
        if (!o->json) {
          const auto& r = results.back();
          std::printf("%-30s %-10s %-34s %9.3f ms  (min %8.3f, max %8.3f)  %8.2f GFLOP/s  %7.2f GB/s\n", c.name.c_str(),
                      c.op.c_str(), c.shape.c_str(), r.median_ms, r.min_ms, r.max_ms,
                      c.flops / (r.median_ms * 1e6), c.bytes / (r.median_ms * 1e6));
          std::fflush(stdout);
        }
      }
      if (results.empty()) throw UsageError("no benchmark case matches filter '" + o->filter + "'");
      if (o->json) {
        nlohmann::json out{{"device", device_json(ctx.info())}, {"repeat", o->repeat}, {"results", nlohmann::json::array()}};
        for (const auto& r : results)
          out["results"].push_back({{"name", r.c.name}, {"op", r.c.op}, {"shape", r.c.shape}, {"median_ms", r.median_ms},
                                    {"min_ms", r.min_ms}, {"max_ms", r.max_ms}, {"gflops", r.c.flops / (r.median_ms * 1e6)},
                                    {"gb_per_s", r.c.bytes / (r.median_ms * 1e6)}});
        std::cout << out.dump(2) << "\n";
      } else {
        std::cout << "device: " << device_text(ctx.info()) << "\n";
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
