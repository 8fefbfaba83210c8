// Option parsing, scenario presets and pattern parsing, without CUDA.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "command_line.h"
#include "scenarios.h"

namespace holdup::workload {
namespace {

struct Parsed {
  ParsedCommandLine result;
  std::string out;
  std::string err;
};

Parsed parse(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  Parsed parsed{parse_command_line(args, out, err), {}, {}};
  parsed.out = out.str();
  parsed.err = err.str();
  return parsed;
}

TEST(CommandLine, DefaultsMatchTheReport) {
  const Parsed parsed = parse({});
  ASSERT_FALSE(parsed.result.exit_code) << parsed.err;
  const WorkloadConfig& config = parsed.result.config;
  EXPECT_EQ(config.procs, 2);
  EXPECT_EQ(config.pattern, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(config.copy_path, CopyPath::kPeer);
  EXPECT_EQ(config.copy_api, CopyApi::kMemcpyAsync);
  EXPECT_EQ(config.signal, SignalKind::kPageable);
  EXPECT_EQ(config.bytes, std::size_t{64} << 20);
  EXPECT_TRUE(config.events);
  EXPECT_EQ(config.role, Role::kLauncher);
}

TEST(CommandLine, HelpExitsZeroAndNamesTheOptions) {
  const Parsed parsed = parse({"--help"});
  ASSERT_TRUE(parsed.result.exit_code);
  EXPECT_EQ(*parsed.result.exit_code, kExitOk);
  for (const char* option : {"--scenario", "--pattern", "--copy-path", "--copy-api", "--module-loading",
                             "--max-connections", "--sync-beside-k2", "--signal", "--no-events", "--json"}) {
    EXPECT_NE(parsed.out.find(option), std::string::npos) << option;
  }
  EXPECT_EQ(parsed.out.find("--peer-fd"), std::string::npos) << "hidden options must stay hidden";
}

TEST(CommandLine, ListScenariosNamesEveryPreset) {
  const Parsed parsed = parse({"--list-scenarios"});
  ASSERT_TRUE(parsed.result.exit_code);
  EXPECT_EQ(*parsed.result.exit_code, kExitOk);
  for (const Scenario& scenario : all_scenarios()) {
    EXPECT_NE(parsed.out.find("  " + scenario.name + " "), std::string::npos) << scenario.name;
  }
}

TEST(CommandLine, TheBriefsScenariosExist) {
  for (const char* name : {"seed-lazy", "seed-alloc", "sm-saturated", "shared-queue", "module-reload", "set-limit",
                           "host-lock", "pageable", "default-stream", "time-slice", "thread-per-iteration", "control",
                           "eager", "sm-headroom", "pinned-signal"}) {
    EXPECT_NE(find_scenario(name), nullptr) << name;
  }
}

TEST(CommandLine, EveryPresetAndItsRemedyIsValid) {
  for (const Scenario& scenario : all_scenarios()) {
    const Parsed preset = parse({"--scenario", scenario.name});
    EXPECT_FALSE(preset.result.exit_code) << scenario.name << ": " << preset.err;
    EXPECT_EQ(preset.result.config.scenario, scenario.name);
    std::vector<std::string> remedy = {"--scenario", scenario.name};
    remedy.insert(remedy.end(), scenario.remedy_options.begin(), scenario.remedy_options.end());
    const Parsed remedied = parse(remedy);
    EXPECT_FALSE(remedied.result.exit_code) << scenario.name << " remedy: " << remedied.err;
  }
}

TEST(CommandLine, EveryPresetIsDocumented) {
  std::ifstream file(HOLDUP_WORKLOAD_SOURCE_DIR "/SCENARIOS.md");
  ASSERT_TRUE(file) << "SCENARIOS.md missing";
  std::stringstream text;
  text << file.rdbuf();
  for (const Scenario& scenario : all_scenarios()) {
    EXPECT_NE(text.str().find("\n## " + scenario.name + "\n"), std::string::npos)
        << "SCENARIOS.md has no section '## " << scenario.name << "'";
  }
}

TEST(CommandLine, PresetsSetTheirMechanism) {
  EXPECT_EQ(parse({"--scenario", "shared-queue"}).result.config.max_connections, 1);
  EXPECT_EQ(parse({"--scenario", "eager"}).result.config.module_loading, ModuleLoading::kEager);
  EXPECT_EQ(parse({"--scenario", "seed-lazy"}).result.config.warmup, 0);
  EXPECT_EQ(parse({"--scenario", "seed-alloc"}).result.config.sync_beside_k2, SyncBesideK2::kMalloc);
  EXPECT_EQ(parse({"--scenario", "set-limit"}).result.config.sync_beside_k2, SyncBesideK2::kSetLimit);
  EXPECT_EQ(parse({"--scenario", "host-lock"}).result.config.module_loading, ModuleLoading::kSeparate);
  EXPECT_EQ(parse({"--scenario", "module-reload"}).result.config.module_loading, ModuleLoading::kReload);
  EXPECT_TRUE(parse({"--scenario", "default-stream"}).result.config.default_stream);
  EXPECT_TRUE(parse({"--scenario", "thread-per-iteration"}).result.config.thread_per_iteration);
  const WorkloadConfig time_slice = parse({"--scenario", "time-slice"}).result.config;
  EXPECT_EQ(time_slice.procs, 2);
  EXPECT_EQ(time_slice.gpus, (std::vector<int>{0, 0}));
  const WorkloadConfig saturated = parse({"--scenario", "sm-saturated"}).result.config;
  EXPECT_EQ(saturated.copy_path, CopyPath::kLocal);
  EXPECT_EQ(saturated.blocks_per_sm, 8);
  EXPECT_EQ(saturated.threads, 256);
  EXPECT_EQ(parse({"--scenario", "control"}).result.config.pattern, (std::vector<int>{0, 1}));
}

TEST(CommandLine, UserOptionsOverrideThePresetWhereverGiven) {
  EXPECT_EQ(parse({"--scenario", "sm-saturated", "--blocks-per-sm", "2"}).result.config.blocks_per_sm, 2);
  EXPECT_EQ(parse({"--blocks-per-sm", "2", "--scenario", "sm-saturated"}).result.config.blocks_per_sm, 2);
  EXPECT_EQ(parse({"--scenario=seed-lazy", "--warmup", "3"}).result.config.warmup, 3);
  const Parsed flag = parse({"--scenario", "default-stream-blocking", "--blocking-copy-stream=false"});
  ASSERT_FALSE(flag.result.exit_code) << flag.err;
  EXPECT_FALSE(flag.result.config.blocking_copy_stream);
  EXPECT_TRUE(flag.result.config.default_stream);
}

TEST(CommandLine, UsageErrorsExitTwoWithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--no-such-option"}, "--no-such-option"},
      {{"--scenario", "nope"}, "unknown scenario 'nope'"},
      {{"--pattern", "1,2"}, "must contain kernel 0"},
      {{"--pattern", "0,3"}, "kernel 3 does not exist"},
      {{"--pattern", "0,,1"}, "not an integer"},
      {{"--copy-path", "foo"}, "foo not in"},
      {{"--procs", "3"}, "--procs must be 1 or 2"},
      {{"--procs", "2", "--gpus", "0"}, "one device per process"},
      {{"--threads", "100"}, "multiple of 32"},
      {{"--iterations", "0"}, "--iterations"},
      {{"--copy-path", "h2d", "--copy-api", "memcpy-peer-async"}, "device-to-device"},
      {{"--timeout-s", "0"}, "--timeout-s"},
  };
  for (const Case& test : cases) {
    const Parsed parsed = parse(test.args);
    ASSERT_TRUE(parsed.result.exit_code) << test.args.front();
    EXPECT_EQ(*parsed.result.exit_code, kExitUsage) << test.args.front();
    EXPECT_NE(parsed.err.find(test.message), std::string::npos) << parsed.err;
  }
}

TEST(CommandLine, SizesTakeSuffixes) {
  EXPECT_EQ(parse({"--bytes", "4MiB"}).result.config.bytes, std::size_t{4} << 20);
  EXPECT_EQ(parse({"--bytes", "4096"}).result.config.bytes, std::size_t{4096});
}

TEST(CommandLine, EnumsParseByName) {
  const WorkloadConfig config = parse({"--copy-path", "pageable-h2d", "--copy-api", "batch", "--module-loading",
                                       "reload", "--signal", "none", "--sync-beside-k2", "set-limit"})
                                    .result.config;
  EXPECT_EQ(config.copy_path, CopyPath::kPageableH2D);
  EXPECT_EQ(config.copy_api, CopyApi::kBatch);
  EXPECT_EQ(config.module_loading, ModuleLoading::kReload);
  EXPECT_EQ(config.signal, SignalKind::kNone);
  EXPECT_EQ(config.sync_beside_k2, SyncBesideK2::kSetLimit);
  EXPECT_FALSE(parse({"--no-events"}).result.config.events);
  const WorkloadConfig priorities = parse({"--priority-compute", "-2"}).result.config;
  ASSERT_TRUE(priorities.priority_compute);
  EXPECT_EQ(*priorities.priority_compute, -2);
  EXPECT_FALSE(priorities.priority_copy);
}

TEST(CommandLine, WorkersParseTheLaunchersArguments) {
  const std::vector<std::string> user = {"--scenario", "time-slice", "--iterations", "3"};
  const Parsed parsed = parse(worker_arguments(user, 1, 3, "/tmp/x.rank1.part"));
  ASSERT_FALSE(parsed.result.exit_code) << parsed.err;
  const WorkloadConfig& config = parsed.result.config;
  EXPECT_EQ(config.role, Role::kWorker);
  EXPECT_EQ(config.rank, 1);
  EXPECT_EQ(config.peer_fd, 3);
  EXPECT_EQ(config.json_part_path, "/tmp/x.rank1.part");
  EXPECT_EQ(config.iterations, 3);
  EXPECT_EQ(config.procs, 2);
}

TEST(Pattern, ParsesAndFormats) {
  EXPECT_EQ(parse_pattern("0,2,1,2"), (std::vector<int>{0, 2, 1, 2}));
  EXPECT_EQ(parse_pattern("0"), (std::vector<int>{0}));
  EXPECT_EQ(format_pattern({0, 2, 1, 2}), "0,2,1,2");
  EXPECT_THROW(parse_pattern(""), std::invalid_argument);
  EXPECT_THROW(parse_pattern("0,"), std::invalid_argument);
  EXPECT_THROW(parse_pattern("0,-1"), std::invalid_argument);
  EXPECT_THROW(parse_pattern("0, 1"), std::invalid_argument);
  EXPECT_EQ(parse_gpu_list("0,0"), (std::vector<int>{0, 0}));
  EXPECT_THROW(parse_gpu_list("a"), std::invalid_argument);
}

TEST(Watchdog, BoundCoversEveryIterationPlusSetUp) {
  WorkloadConfig config;
  config.timeout_s = 10;
  config.iterations = 4;
  config.warmup = 1;
  EXPECT_DOUBLE_EQ(watchdog_seconds(config), 70.0);
}

}  // namespace
}  // namespace holdup::workload

namespace holdup::workload {
namespace {

TEST(CommandLine, PrintRemedyGivesThePresetsPartner) {
  std::ostringstream out;
  std::ostringstream err;
  const ParsedCommandLine parsed = parse_command_line({"--scenario", "seed-lazy", "--print-remedy"}, out, err);
  ASSERT_TRUE(parsed.exit_code);
  EXPECT_EQ(*parsed.exit_code, kExitOk);
  EXPECT_EQ(out.str(), "--module-loading eager\n");
  std::ostringstream out2;
  const ParsedCommandLine control = parse_command_line({"--scenario", "control", "--print-remedy"}, out2, err);
  EXPECT_EQ(out2.str(), "\n");
  const ParsedCommandLine missing = parse_command_line({"--print-remedy"}, out2, err);
  EXPECT_EQ(*missing.exit_code, kExitUsage);
}

}  // namespace
}  // namespace holdup::workload
