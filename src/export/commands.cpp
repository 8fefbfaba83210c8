// `holdup export` and `holdup report --html` as functions (the verbs in
// tools/holdup only parse the command line), so tests run them directly.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <functional>
#include <thread>
#include <future>
#include <memory>
#include <ostream>

#include <fmt/format.h>

#include "common.h"
#include "holdup/analysis_load.h"
#include "report/report_progress.h"

namespace holdup::exporting {

namespace {

// Everything an export works from; the analysis points into the model, so
// this stays where it was made.
struct Loaded {
  analysis::Model model;
  analysis::Analysis analysis;
  std::vector<uint32_t> selection;
  Extras extras;
  Loaded() = default;
  Loaded(const Loaded&) = delete;
  Loaded& operator=(const Loaded&) = delete;
};

// Loads the traces; with `extras`, the second pass over the files (what
// the model lacks) runs on a thread of its own meanwhile. False (errors
// printed) when an input is unreadable.
bool load(const report::CommonOptions& options, report::ProgressLine* progress, bool extras, Loaded* out,
          std::ostream& err) {
  std::future<std::map<std::string, ProcessExtras>> second_pass;
  if (extras) {
    std::vector<std::string> ignored;  // load_traces reports them
    auto files = analysis::expand_trace_paths(options.traces, &ignored);
    second_pass = std::async(std::launch::async, [files = std::move(files)] { return read_extras(files); });
  }
  analysis::LoadOptions load;
  if (progress) {
    load.on_progress = [progress](const analysis::LoadOptions::Progress& p) {
      if (p.indexing) {
        progress->step(fmt::format("indexing {} records", report::count_text(p.records)));
      } else {
        progress->reading(p.records, p.bytes_read, p.bytes_total);
      }
    };
  }
  if (!report::load_readable(options, false, &out->model, load, err)) return false;
  if (extras) out->extras = match_extras(out->model, second_pass.get());
  return true;
}

// Analyses and selects as `holdup report` does. With `keep_details`, the
// findings of every flagged copy are kept (an export writes them all:
// building them again would cost more than the analysis); else they are
// built for the copies shown. False with *error set for a bad filter.
bool analyse(const report::CommonOptions& options, report::ProgressLine* progress, bool keep_details, Loaded* out,
             std::string* error) {
  auto judging = report::analysis_options(options);
  judging.keep_details = keep_details;
  if (progress) judging.on_progress = [progress](uint64_t done, uint64_t total) { progress->analysing(done, total); };
  out->analysis = analysis::analyze(out->model, judging);
  out->selection = report::select_copies(out->analysis, options.filters, error);
  return error->empty();
}

// Work that may start once the tasks `after` (indexes) are done.
struct Task {
  std::function<void()> run;
  std::vector<size_t> after;
};

// Runs `tasks` on up to `threads` threads; each thread takes the first task
// (in order of index) whose prerequisites are done.
void run_tasks(const std::vector<Task>& tasks, unsigned threads) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<char> started(tasks.size(), 0), done(tasks.size(), 0);
  size_t left = tasks.size();
  auto worker = [&] {
    std::unique_lock lock(mutex);
    while (true) {
      size_t pick = tasks.size();
      bool waiting = false;
      for (size_t i = 0; i < tasks.size() && pick == tasks.size(); ++i) {
        if (started[i]) continue;
        const bool ready = std::all_of(tasks[i].after.begin(), tasks[i].after.end(), [&](size_t k) { return done[k]; });
        if (ready) {
          pick = i;
        } else {
          waiting = true;
        }
      }
      if (pick == tasks.size()) {
        if (!waiting) return;  // everything started
        changed.wait(lock);
        continue;
      }
      started[pick] = 1;
      lock.unlock();
      tasks[pick].run();
      lock.lock();
      done[pick] = 1;
      --left;
      changed.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads && t < tasks.size(); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  (void)left;
}

unsigned worker_threads() { return std::clamp(std::thread::hardware_concurrency(), 1u, 8u); }

}  // namespace

int run_export(const ExportOptions& options, std::ostream& out, std::ostream& err) {
  std::unique_ptr<report::ProgressLine> progress;
  if (options.common.progress) {
    progress = std::make_unique<report::ProgressLine>(err, "holdup export", options.common.progress_terminal);
  }
  auto loaded = std::make_unique<Loaded>();
  if (!load(options.common, progress.get(), true, loaded.get(), err)) return report::kExitUnreadable;
  const auto& model = loaded->model;
  loaded->analysis.model = &model;
  const auto processes = detail::exported_processes(model, options.common.filters);
  if (processes.empty()) {
    err << "holdup: no traced process matches --pid\n";
    return report::kExitUnreadable;
  }
  const bool json = options.format == Format::chrome_json;
  std::string error;
  const auto paths = output_paths(model, processes, options.output, json ? ".json" : ".sqlite", &error);
  if (paths.empty()) {
    err << "holdup: " << error << "\n";
    return report::kExitUnreadable;
  }
  std::vector<std::string> ignored;  // reported by the load
  const auto inputs = analysis::expand_trace_paths(options.common.traces, &ignored);
  std::vector<OutputTarget> targets(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!resolve_output(paths[i], inputs, options.force, &targets[i], &error)) {
      err << "holdup: " << error << "\n";
      return report::kExitUnreadable;
    }
  }
  Input input;
  input.analysis = &loaded->analysis;
  input.filters = options.common.filters;
  input.extras = &loaded->extras;
  // A time window needs the verdicts first (it is widened to hold the
  // selected copies); otherwise the records are written while the analysis
  // runs.
  const bool window = detail::has_window(options.common.filters);
  bool analysed = false;
  if (window) {
    if (!analyse(options.common, progress.get(), true, loaded.get(), &error)) {
      err << "holdup: " << error << "\n";
      return report::kExitUnreadable;
    }
    input.selection = loaded->selection;
    analysed = true;
  }
  const auto ranks = ranks_of(model, loaded->extras, processes);
  std::vector<std::unique_ptr<detail::AtomicFile>> files(processes.size());
  std::vector<std::string> temporaries(processes.size());
  std::vector<std::unique_ptr<detail::ProcessWriter>> writers(processes.size());
  for (size_t i = 0; i < processes.size(); ++i) {
    const auto w = window ? detail::window_of(input, processes[i]) : detail::Window{};
    if (json) {
      files[i] = std::make_unique<detail::AtomicFile>(targets[i]);
      if (!files[i]->open(&error)) {
        err << "holdup: " << error << "\n";
        return report::kExitUnreadable;
      }
      writers[i] = detail::chrome_writer(input, processes[i], ranks[i], w, files[i]->stream());
    } else {
      temporaries[i] = detail::temporary_path(targets[i]);
      std::remove(temporaries[i].c_str());
      writers[i] = detail::sqlite_writer(input, processes[i], w, temporaries[i]);
    }
  }
  // The analysis (when not done yet) and the records of every process, each
  // process's verdicts as soon as both are done, spread over the cores.
  std::vector<Task> tasks;
  std::string analysis_error;
  if (!analysed) {
    tasks.push_back({[&] {
                       if (analyse(options.common, progress.get(), true, loaded.get(), &analysis_error)) {
                         input.selection = loaded->selection;
                       }
                     },
                     {}});
  }
  // Longest first: every process's records, then the verdicts (each
  // finishing its file), which fill in between.
  const size_t first_records = tasks.size();
  for (auto& w : writers) tasks.push_back({[&w] { w->records(); }, {}});
  std::vector<std::string> close_errors(writers.size());
  std::vector<char> closed(writers.size(), 0);
  for (size_t i = 0; i < writers.size(); ++i) {
    std::vector<size_t> after = {first_records + i};
    if (!analysed) after.push_back(0);
    tasks.push_back({[&, i] {
                       if (!analysis_error.empty()) return;
                       writers[i]->verdicts();
                       closed[i] = writers[i]->close(&close_errors[i]) ? 1 : 0;
                     },
                     std::move(after)});
  }
  run_tasks(tasks, worker_threads());
  progress.reset();  // ends its line before the results are written
  if (!analysis_error.empty()) {
    err << "holdup: " << analysis_error << "\n";
    writers.clear();
    for (const auto& t : temporaries) {
      if (!t.empty()) std::remove(t.c_str());
    }
    return report::kExitUnreadable;
  }

  int exit_code = report::kExitOk;
  for (size_t i = 0; i < processes.size(); ++i) {
    const uint32_t p = processes[i];
    bool ok = closed[i] != 0;
    error = json && !ok ? paths[i] + ": " + close_errors[i] : close_errors[i];
    writers[i].reset();
    if (ok) ok = json ? files[i]->commit(&error) : detail::commit_file(temporaries[i], targets[i], &error);
    if (!ok) {
      if (!json) std::remove(temporaries[i].c_str());
      err << "holdup: " << error << "\n";
      exit_code = report::kExitUnreadable;
      continue;
    }
    const auto copies = detail::copies_of(input, p);
    uint64_t held = 0;
    for (uint32_t c : copies) held += loaded->analysis.copies[c].flagged();
    const auto problems = model.processes[p].problems;
    out << fmt::format("holdup export: {} (pid {}, rank {}): {} cop{}, {} held; recorder health: {}\n", paths[i],
                       model.processes[p].pid, ranks[i].rank, copies.size(), copies.size() == 1 ? "y" : "ies", held,
                       problems.empty() ? std::string("ok, nothing lost")
                                        : fmt::format("{} problem(s), listed in the file", problems.size()));
  }
  return exit_code;
}

int run_html_report(const report::CommonOptions& options, const report::ReportOptions& report_options,
                    const std::string& path, bool force, std::ostream& out, std::ostream& err) {
  // Before the long part: an output that may not be written fails at once.
  std::vector<std::string> ignored;  // reported by the load
  OutputTarget target;
  std::string error;
  if (!resolve_output(path, analysis::expand_trace_paths(options.traces, &ignored), force, &target, &error)) {
    err << "holdup: --html " << error << "\n";
    return report::kExitUnreadable;
  }
  std::unique_ptr<report::ProgressLine> progress;
  if (options.progress) progress = std::make_unique<report::ProgressLine>(err, "holdup report", options.progress_terminal);
  auto loaded = std::make_unique<Loaded>();
  if (!load(options, progress.get(), false, loaded.get(), err)) return report::kExitUnreadable;
  // Findings are built for the copies shown only.
  if (!analyse(options, progress.get(), false, loaded.get(), &error)) {
    err << "holdup: " << error << "\n";
    return report::kExitUnreadable;
  }
  progress.reset();
  Input input;
  input.analysis = &loaded->analysis;
  input.selection = loaded->selection;
  input.filters = options.filters;
  const std::string html = render_html(input, report_options);
  if (!write_output(target, [&](std::ostream& os) { os << html; }, &error)) {
    err << "holdup: " << error << "\n";
    return report::kExitUnreadable;
  }
  uint64_t flagged = 0;
  for (uint32_t c : loaded->selection) flagged += loaded->analysis.copies[c].flagged();
  out << fmt::format("holdup report: wrote {} ({} copies, {} flagged)\n", path, loaded->selection.size(), flagged);
  return report::kExitOk;
}

}  // namespace holdup::exporting
